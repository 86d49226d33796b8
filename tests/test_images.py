from __future__ import annotations

import hashlib
import io
import random

import pytest
from PIL import Image, ImageDraw, ImageFilter

from core.images import ImageError, PreparedImage, image_digest, prepare_image


def _jpeg_segments(data: bytes) -> list[int]:
    """Marker bytes of a JPEG's header segments, up to the first scan (SOS)."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    markers, pos = [], 2
    while pos < len(data):
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        pos += 2 + length
    return markers


def _photo_like(width: int, height: int, seed: int = 7) -> Image.Image:
    """Gradients, shapes and sensor-like noise: compresses about as badly as a phone photo."""
    rng = random.Random(seed)
    gradient = Image.linear_gradient("L").resize((width, height))
    red = gradient
    green = gradient.rotate(90).resize((width, height))
    blue = Image.radial_gradient("L").resize((width, height))
    image = Image.merge("RGB", (red, green, blue))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(20, 300)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(3))
    noise = Image.effect_noise((width, height), 24).convert("RGB")
    return Image.blend(image, noise, 0.12)


def _exif_with_orientation_and_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Model X"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (36.0, 12.0, 0.0)
    gps[3] = "E"
    gps[4] = (37.0, 10.0, 0.0)
    return exif


def test_exif_orientation_is_applied_and_all_metadata_dropped() -> None:
    source = Image.new("RGB", (400, 200), "white")
    ImageDraw.Draw(source).rectangle((0, 0, 99, 199), fill="red")  # red band on the left
    buffer = io.BytesIO()
    source.save(
        buffer, "JPEG", quality=95, exif=_exif_with_orientation_and_gps(), comment=b"secret"
    )
    raw = buffer.getvalue()
    assert b"PhoneMaker" in raw and b"secret" in raw  # the fixture really carries metadata

    prepared = prepare_image(raw)

    assert isinstance(prepared, PreparedImage)
    assert (prepared.width, prepared.height) == (200, 400)  # rotated: sides swapped
    out = Image.open(io.BytesIO(prepared.data))
    assert out.format == "JPEG" and out.size == (200, 400)
    assert not out.getexif()
    assert "exif" not in out.info and "icc_profile" not in out.info
    assert "comment" not in out.info
    markers = _jpeg_segments(prepared.data)
    assert 0xE1 not in markers  # APP1: EXIF/XMP
    assert 0xE2 not in markers  # APP2: ICC
    assert 0xFE not in markers  # COM
    assert b"PhoneMaker" not in prepared.data and b"secret" not in prepared.data
    # Orientation 6 rotates 90° clockwise: the red left band is now at the top.
    assert out.getpixel((100, 20))[0] > 200 and out.getpixel((100, 20))[1] < 80
    assert out.getpixel((100, 380)) > (200, 200, 200)


def test_big_photo_is_shrunk_and_fits_the_budget() -> None:
    buffer = io.BytesIO()
    _photo_like(3000, 2000).save(buffer, "JPEG", quality=95)
    raw = buffer.getvalue()

    prepared = prepare_image(raw)

    assert (prepared.width, prepared.height) == (1024, 683)
    assert len(prepared.data) < 80_000
    assert len(prepared.data) < len(raw)
    out = Image.open(io.BytesIO(prepared.data))
    assert out.size == (1024, 683)
    assert out.info.get("progressive") or out.info.get("progression")


def test_highest_quality_that_fits_is_chosen() -> None:
    buffer = io.BytesIO()
    _photo_like(1000, 700).save(buffer, "PNG")
    generous = prepare_image(buffer.getvalue(), target_bytes=10_000_000)
    tight = prepare_image(buffer.getvalue(), target_bytes=len(generous.data) - 1)
    impossible = prepare_image(buffer.getvalue(), target_bytes=1)
    assert len(tight.data) < len(generous.data)
    assert len(impossible.data) <= len(tight.data)  # nothing fits: the smallest


def test_png_with_alpha_is_flattened_onto_white() -> None:
    source = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    ImageDraw.Draw(source).rectangle((100, 50, 199, 149), fill=(0, 0, 255, 255))
    buffer = io.BytesIO()
    source.save(buffer, "PNG")

    prepared = prepare_image(buffer.getvalue())

    out = Image.open(io.BytesIO(prepared.data))
    assert out.mode == "RGB" and out.size == (300, 200)
    assert min(out.getpixel((10, 10))) > 245  # transparent became white, not black
    red, green, blue = out.getpixel((150, 100))
    assert blue > 200 and red < 60 and green < 60


def test_palette_and_greyscale_images_work() -> None:
    for mode in ("P", "L", "LA", "CMYK", "I;16"):
        buffer = io.BytesIO()
        fmt = "TIFF" if mode == "CMYK" else "PNG"
        Image.new(mode, (50, 40)).save(buffer, fmt)
        prepared = prepare_image(buffer.getvalue())
        assert (prepared.width, prepared.height) == (50, 40), mode


def test_small_image_is_not_enlarged() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), "green").save(buffer, "PNG")
    prepared = prepare_image(buffer.getvalue())
    assert (prepared.width, prepared.height) == (120, 80)


def test_max_side_applies_to_portrait_images() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 1800), "navy").save(buffer, "PNG")
    prepared = prepare_image(buffer.getvalue(), max_side=512)
    assert (prepared.width, prepared.height) == (171, 512)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty"),
        (b"this is not an image at all", "not an image"),
        (b"%PDF-1.7\n" + b"\x00" * 200, "not an image"),
    ],
)
def test_garbage_raises_image_error(data: bytes, fragment: str) -> None:
    with pytest.raises(ImageError, match=fragment):
        prepare_image(data)


def test_truncated_image_raises_image_error() -> None:
    buffer = io.BytesIO()
    _photo_like(400, 300).save(buffer, "PNG")
    with pytest.raises(ImageError, match="corrupt or truncated"):
        prepare_image(buffer.getvalue()[:2000])


@pytest.mark.parametrize("side", [8_000, 20_000])  # over our limit; over Pillow's bomb limit
def test_too_many_pixels_raises_image_error(side: int) -> None:
    # A PNG claiming side x side pixels (1-bit, so the fixture is small): refused before decoding.
    buffer = io.BytesIO()
    Image.new("1", (side, side)).save(buffer, "PNG")
    with pytest.raises(ImageError, match=r"too large|too many pixels"):
        prepare_image(buffer.getvalue())


def test_digest_is_the_sha256_of_the_source() -> None:
    # Stored as the file_id cache's key: it must stay the SHA-256 of the bytes as uploaded.
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "PNG")
    raw = buffer.getvalue()
    assert image_digest(raw) == hashlib.sha256(raw).hexdigest()
    assert prepare_image(raw).source_sha256 == hashlib.sha256(raw).hexdigest()
