"""The one image pipeline: every picture the bot sends goes through `prepare_image`.

Trainees are often on slow, metered mobile data, so images are shrunk to a bounded size and
re-encoded as small progressive JPEGs. Re-encoding also strips everything but pixels: EXIF
(GPS position, camera serial numbers, timestamps), ICC profiles, XMP and comments never leave
the server. Work that arrives as a photo from one person must not leak where they live.

`prepare_image` is CPU-bound (tens of milliseconds for a phone photo); call it from async code
with `await asyncio.to_thread(prepare_image, data)`. Use `image_digest(data)` as the cache key
under which the Telegram file_id is stored after the first send, so an image is prepared and
uploaded once.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

try:  # colour management is optional: without it wide-gamut photos are merely a bit dull
    from PIL import ImageCms

    _SRGB = ImageCms.createProfile("sRGB")
except (ImportError, OSError):  # pragma: no cover - depends on how Pillow was built
    ImageCms = None  # type: ignore[assignment]
    _SRGB = None

MAX_PIXELS = 50_000_000  # refuse anything bigger (decompression bombs, absurd scans)
QUALITY_LADDER: tuple[int, ...] = (85, 80, 75, 70, 65, 60, 50)
_BACKGROUND = (255, 255, 255)


class ImageError(ValueError):
    """The bytes are not an image we can use; the message names the problem."""


@dataclass(frozen=True)
class PreparedImage:
    data: bytes  # progressive JPEG, no metadata
    width: int
    height: int
    source_sha256: str  # image_digest() of the original bytes


def image_digest(data: bytes) -> str:
    """sha256 hex of the original bytes: the cache key for a stored Telegram file_id."""
    return hashlib.sha256(data).hexdigest()


def prepare_image(
    data: bytes, *, max_side: int = 1024, target_bytes: int = 80_000
) -> PreparedImage:
    """Open, orient, flatten, shrink and re-encode an image as a metadata-free JPEG.

    The longest side ends up at most `max_side` (images are never enlarged). The highest
    quality from QUALITY_LADDER whose output fits `target_bytes` is used; if none fits, the
    smallest output. Raises ImageError for empty, non-image, corrupt or oversized input.
    """
    if max_side < 1:
        raise ValueError("max_side must be positive")
    if not data:
        raise ImageError("empty file: no image data")
    image = _open(data, max_side)
    image = _oriented(image)
    image = _to_srgb(image)
    image = _flatten(image)
    if max(image.size) > max_side:
        image = ImageOps.contain(image, (max_side, max_side), Image.Resampling.LANCZOS)
    image.info = {}  # nothing from the source (comment, dpi, exif, icc) may be re-emitted
    jpeg = _encode_to_fit(image, target_bytes)
    return PreparedImage(
        data=jpeg, width=image.width, height=image.height, source_sha256=image_digest(data)
    )


def _open(data: bytes, max_side: int) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width < 1 or height < 1:
                raise ImageError(f"image has no pixels ({width}x{height})")
            if width * height > MAX_PIXELS:
                raise ImageError(
                    f"image is too large: {width}x{height} pixels (limit {MAX_PIXELS:,})"
                )
            if image.format == "JPEG":
                # Decode big JPEGs at 1/2, 1/4 or 1/8 scale: far faster and far less memory.
                # draft() keeps both sides >= the requested box, so quality is unaffected.
                image.draft("RGB", (max_side, max_side))
            image.load()
    except ImageError:
        raise
    except UnidentifiedImageError as exc:
        raise ImageError("not an image (unrecognised file format)") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"image has too many pixels: {exc}") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(f"corrupt or truncated image data: {exc}") from exc
    return image


def _oriented(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # a malformed EXIF block must not make a good picture unusable
        return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert pixels from an embedded ICC profile to sRGB, since the profile is dropped."""
    icc = image.info.get("icc_profile")
    if not icc or ImageCms is None or image.mode not in {"RGB", "RGBA", "CMYK"}:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        out_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=out_mode)
    except Exception:  # a broken profile: keep the pixels as they are
        return image
    return converted if converted is not None else image


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on a white background, whatever the source mode (alpha, palette, grey, CMYK, 16-bit)."""
    has_alpha = image.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or (
        image.mode in {"P", "L", "RGB"} and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*_BACKGROUND, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode in {"I", "I;16", "I;16B", "I;16L", "I;16N"}:
        image = image.point(lambda value: value / 256).convert("L")  # 16-bit grey to 8-bit
    elif image.mode == "F":
        image = image.convert("L")
    return image if image.mode == "RGB" else image.convert("RGB")


def _encode(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()


def _encode_to_fit(image: Image.Image, target_bytes: int) -> bytes:
    """Highest ladder quality that fits target_bytes (binary search: size grows with quality)."""
    encoded: dict[int, bytes] = {}

    def size_at(index: int) -> int:
        quality = QUALITY_LADDER[index]
        if quality not in encoded:
            encoded[quality] = _encode(image, quality)
        return len(encoded[quality])

    low, high = 0, len(QUALITY_LADDER) - 1  # index 0 is the highest quality
    if size_at(low) <= target_bytes:
        return encoded[QUALITY_LADDER[low]]
    if size_at(high) > target_bytes:
        return min(encoded.values(), key=len)
    while high - low > 1:  # invariant: low does not fit, high fits
        middle = (low + high) // 2
        if size_at(middle) <= target_bytes:
            high = middle
        else:
            low = middle
    return encoded[QUALITY_LADDER[high]]


def side_by_side(left: bytes, right: bytes, *, gap: int = 24) -> bytes:
    """Two prepared pictures in one JPEG, left and right on white, each marked A and B."""
    from PIL import ImageDraw

    first, second = (Image.open(io.BytesIO(data)).convert("RGB") for data in (left, right))
    height = max(first.height, second.height)
    band = max(24, height // 10)
    canvas = Image.new("RGB", (first.width + gap + second.width, height + band), _BACKGROUND)
    canvas.paste(first, (0, band))
    canvas.paste(second, (first.width + gap, band))
    draw = ImageDraw.Draw(canvas)
    draw.text((first.width // 2, band // 2), "A", fill=(0, 0, 0), anchor="mm")
    draw.text((first.width + gap + second.width // 2, band // 2), "B", fill=(0, 0, 0), anchor="mm")
    if max(canvas.size) > 1024:
        canvas = ImageOps.contain(canvas, (1024, 1024), Image.Resampling.LANCZOS)
    return _encode_to_fit(canvas, 80_000)
