from __future__ import annotations

import functools
import io
import unicodedata
from dataclasses import replace

import pytest
from PIL import Image, ImageDraw, ImageFont

from core.bidi import BIDI_CONTROLS, isolate_ltr
from core.certificate_fonts import FONT_DIR, Face, font_path
from core.certificate_image import (
    DEFAULT_SIZE,
    CertificateText,
    certificate_lines,
    layout_certificate,
    render_certificate,
    split_runs,
)

CODE = "RFQ-7K2M-9XQ4"
REGULAR_FONT = font_path(Face.NASKH, bold=False)
LONG_ARABIC_NAME = "عبد الرحمن بن محمد بن عبد الله بن إبراهيم الحسيني القرشي الهاشمي المكي المدني"
DARI_NAME = "ذبیح‌الله احمدزی"
UKRAINIAN_NAME = "Олександра Шевченко-Коваленко"

ARABIC = CertificateText(
    heading="شهادة إتمام",
    intro="نشهد بأن",
    name=LONG_ARABIC_NAME,
    completed="قد أتمّ بنجاح الدورة التدريبية",
    course_title="أساسيات وسم البيانات: تصنيف الصور ومراجعة الجودة للمبتدئين في العمل عن بعد",
    date="١٢ مايو ٢٠٢٥",
    code_label="رمز التحقق",
    code=CODE,
    verify_hint=f"تحقق منها عبر /verify {CODE} في بوت رفيق",
)
DARI = CertificateText(
    heading="تصدیق‌نامهٔ تکمیل دوره",
    intro="بدینوسیله تصدیق می‌شود که",
    name=DARI_NAME,
    completed="دورهٔ آموزشی زیر را با موفقیت تکمیل کرده است",
    course_title="مبانی برچسب‌گذاری داده‌ها",
    date="۱۲ مهٔ ۲۰۲۵",
    code_label="کد تأیید",
    code=CODE,
    verify_hint=f"با دستور /verify {CODE} در ربات رفیق بررسی کنید",
)
UKRAINIAN = CertificateText(
    heading="Сертифікат про завершення курсу",
    intro="Цим засвідчується, що",
    name=UKRAINIAN_NAME,
    completed="успішно завершила курс",
    course_title="Основи анотування даних: класифікація зображень",
    date="12 травня 2025 р.",
    code_label="Код перевірки",
    code=CODE,
    verify_hint=f"Перевірте його командою /verify {CODE} у боті Rafiq",
)
ENGLISH = CertificateText(
    heading="Certificate of completion",
    intro="This certifies that",
    name="Amina Yusuf",
    completed="has completed the course",
    course_title="Data annotation basics",
    date="12 May 2025",
    code_label="Verification code",
    code=CODE,
    verify_hint=f"Check it with /verify {CODE} in the Rafiq bot",
)


def _ink_segments(image: Image.Image, min_gap: int) -> list[tuple[int, int]]:
    """Horizontal extents of ink, split wherever at least min_gap blank columns separate it."""
    width, height = image.size
    pixels = image.load()
    segments: list[tuple[int, int]] = []
    start = last = None
    for x in range(width):
        if any(pixels[x, y] > 64 for y in range(height)):
            if start is None:
                start = x
            elif x - last > min_gap:
                segments.append((start, last))
                start = x
            last = x
    if start is not None:
        segments.append((start, last))
    return segments


def _draw(font: ImageFont.FreeTypeFont, text: str, **kwargs: str) -> Image.Image:
    image = Image.new("L", (700, 140))
    ImageDraw.Draw(image).text((20, 100), text, font=font, fill=255, anchor="ls", **kwargs)
    return image


@pytest.mark.parametrize(
    ("text", "locale"), [(ARABIC, "ar"), (DARI, "fa_AF"), (UKRAINIAN, "uk"), (ENGLISH, "en")]
)
def test_renders_a_valid_image_of_the_expected_size(text: CertificateText, locale: str) -> None:
    data = render_certificate(text, locale=locale)
    assert len(data) < 300_000
    image = Image.open(io.BytesIO(data))
    image.verify()
    image = Image.open(io.BytesIO(data))
    assert image.size == DEFAULT_SIZE
    assert image.format in {"PNG", "JPEG"}


def test_custom_size_is_respected() -> None:
    data = render_certificate(ENGLISH, locale="en", size=(800, 566))
    assert Image.open(io.BytesIO(data)).size == (800, 566)


@pytest.mark.parametrize(
    ("text", "locale"), [(ARABIC, "ar"), (DARI, "fa_AF"), (UKRAINIAN, "uk"), (ENGLISH, "en")]
)
def test_every_line_stays_inside_the_frame(text: CertificateText, locale: str) -> None:
    width, _ = DEFAULT_SIZE
    for line in layout_certificate(text, locale=locale):
        for run in line.runs:
            assert run.x >= 140, (line.role, run.text)
            assert run.x + run.width <= width - 140, (line.role, run.text)


def test_long_names_shrink_until_they_fit() -> None:
    short = {line.role: line for line in layout_certificate(DARI, locale="fa_AF")}
    very_long = LONG_ARABIC_NAME + " " + LONG_ARABIC_NAME  # clean_display_name cuts at 64
    long = {
        line.role: line
        for line in layout_certificate(replace(DARI, name=very_long), locale="fa_AF")
    }
    assert long["name"].font_size < short["name"].font_size
    width = sum(run.width for run in long["name"].runs)
    assert width <= DEFAULT_SIZE[0] - 2 * 150


def test_course_title_wraps_to_at_most_two_lines() -> None:
    lines = certificate_lines(ARABIC, locale="ar")
    title_lines = [
        line for line in layout_certificate(ARABIC, locale="ar") if line.role == "course_title"
    ]
    assert len(title_lines) == 2
    assert " ".join(line.text for line in title_lines) == ARABIC.course_title
    assert all(line in lines for line in (t.text for t in title_lines))

    endless = replace(UKRAINIAN, course_title="Анотування даних " * 40)
    title_lines = [
        line for line in layout_certificate(endless, locale="uk") if line.role == "course_title"
    ]
    assert len(title_lines) == 2
    assert title_lines[-1].text.endswith("…")
    for line in title_lines:
        assert sum(run.width for run in line.runs) <= DEFAULT_SIZE[0] - 2 * 150


def test_arabic_is_shaped_by_raqm() -> None:
    word = "السلام"
    shaped_font = ImageFont.truetype(str(REGULAR_FONT), 64, layout_engine=ImageFont.Layout.RAQM)
    basic_font = ImageFont.truetype(str(REGULAR_FONT), 64, layout_engine=ImageFont.Layout.BASIC)
    shaped = _draw(shaped_font, word, direction="rtl", language="ar")
    unshaped = _draw(basic_font, word)

    # Joined: alef | lam-seen-lam-alef (ligature) | meem. Unshaped: six isolated letters.
    assert len(_ink_segments(shaped, min_gap=1)) <= 3
    assert len(_ink_segments(unshaped, min_gap=1)) == 6
    # Joined forms and the lam-alef ligature are much narrower than isolated letters.
    isolated = sum(shaped_font.getlength(letter) for letter in word)
    assert shaped_font.getlength(word, direction="rtl", language="ar") < 0.85 * isolated
    difference = sum(
        abs(a - b) > 64 for a, b in zip(shaped.tobytes(), unshaped.tobytes(), strict=True)
    )
    assert difference > 1000


def test_certificate_fonts_use_raqm_and_ship_in_the_repo() -> None:
    for face in Face:
        assert font_path(face, bold=False).is_file() and font_path(face, bold=True).is_file()
    assert {path.name for path in FONT_DIR.glob("OFL-*.txt")} == {
        "OFL-Noto.txt",
        "OFL-Vazirmatn.txt",
    }
    total = sum(path.stat().st_size for path in FONT_DIR.glob("*.ttf"))
    assert total < 1_300_000
    for line in layout_certificate(DARI, locale="fa_AF"):
        assert line.runs  # laid out through the same cached RAQM fonts
    from core import certificate_image as certificate

    assert certificate._font(Face.SANS, 40, bold=False).layout_engine == ImageFont.Layout.RAQM


ARABIC_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهويةءأإآؤئى" + "،؛؟٪"
PERSIAN_LETTERS = "پچژگکیۀ" + "ټډړښږګځڅڼېۍ"  # Dari and the Pashto letters of Afghan names
DIGITS = "0123456789" + "٠١٢٣٤٥٦٧٨٩" + "۰۱۲۳۴۵۶۷۸۹"
LATIN_CYRILLIC = "AZaz" + "ÀéÖüŞşĞğ" + "АЯаяЁёҐґЄєІіЇї" + "№’«»—–…()/-:."


def _glyph_missing(face: Face, bold: bool, ch: str) -> bool:
    """FreeType draws the font's missing-glyph shape (a box in Noto, nothing in Vazirmatn) for
    `ch`, as for a private-use character. Only for visible characters (not spaces, not ZWNJ)."""
    assert unicodedata.category(ch) not in {"Zs", "Cf"}, ch
    return _drawn(face, bold, ch) == _drawn(face, bold, "\ue000")


@functools.cache
def _drawn(face: Face, bold: bool, ch: str) -> bytes:
    return _draw(ImageFont.truetype(str(font_path(face, bold=bold)), 40), ch).tobytes()


@pytest.mark.parametrize(
    ("face", "letters"),
    [
        (Face.NASKH, ARABIC_LETTERS + PERSIAN_LETTERS + DIGITS),
        (Face.VAZIRMATN, ARABIC_LETTERS + PERSIAN_LETTERS + DIGITS),
        (Face.SANS, LATIN_CYRILLIC + "0123456789"),
    ],
)
def test_each_face_has_a_glyph_for_its_script(face: Face, letters: str) -> None:
    for bold in (False, True):
        missing = [ch for ch in letters if _glyph_missing(face, bold, ch)]
        assert not missing, (face, bold, missing)


def test_rtl_digits_come_out_in_reading_order() -> None:
    font = ImageFont.truetype(str(REGULAR_FONT), 64, layout_engine=ImageFont.Layout.RAQM)
    image = _draw(font, "12 مايو 2025", direction="rtl", language="ar")
    words = _ink_segments(image, min_gap=18)
    assert len(words) == 3
    rightmost, leftmost = words[-1], words[0]
    # Read right to left: "12" comes first (rightmost, narrow), "2025" last (leftmost, wide).
    assert rightmost[1] - rightmost[0] < leftmost[1] - leftmost[0]


def test_ltr_stretches_in_rtl_text_are_separate_runs() -> None:
    assert split_runs(ARABIC.verify_hint, "rtl") == [
        ("تحقق منها عبر ", "rtl"),
        (f"/verify {CODE}", "ltr"),
        (" في بوت رفيق", "rtl"),
    ]
    assert split_runs(ENGLISH.verify_hint, "ltr") == [(ENGLISH.verify_hint, "ltr")]
    assert split_runs("رمز (ABC-1) هنا.", "rtl") == [
        ("رمز ", "rtl"),
        ("(ABC-1)", "ltr"),
        (" هنا.", "rtl"),
    ]
    assert split_runs("١٢ مايو ٢٠٢٥", "rtl") == [("١٢ مايو ٢٠٢٥", "rtl")]


def test_rtl_runs_are_placed_right_to_left_and_the_code_is_ltr() -> None:
    lines = layout_certificate(ARABIC, locale="ar")
    hint = next(line for line in lines if line.role == "verify_hint")
    first, command, last = hint.runs
    assert command.text == f"/verify {CODE}" and command.direction == "ltr"
    assert first.x > command.x > last.x  # reading order right to left
    assert first.x >= command.x + command.width - 0.5

    code = next(line for line in lines if line.role == "code")
    assert [(run.text, run.direction) for run in code.runs] == [(CODE, "ltr")]

    # Mirrored bottom row: in RTL the date is on the right, the code on the left.
    date = next(line for line in lines if line.role == "date")
    assert date.runs[0].x > code.runs[0].x
    english = {line.role: line for line in layout_certificate(ENGLISH, locale="en")}
    assert english["date"].runs[0].x < english["code"].runs[0].x


def test_name_keeps_its_own_direction() -> None:
    arabic_name_in_english = replace(ENGLISH, name="أمينة يوسف")
    name = next(
        line
        for line in layout_certificate(arabic_name_in_english, locale="en")
        if line.role == "name"
    )
    assert [run.direction for run in name.runs] == ["rtl"]
    latin_name_in_arabic = replace(ARABIC, name="Amina Yusuf")
    name = next(
        line
        for line in layout_certificate(latin_name_in_arabic, locale="ar")
        if line.role == "name"
    )
    assert [run.direction for run in name.runs] == ["ltr"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\u202eAmina\u202c", "Amina"),
        ("\u2067أمينة\u2069 \u200fيوسف\u200e", "أمينة يوسف"),
        ("Ol\u202dena\u202c\u200b  Koval\x00", "Olena Koval"),
        (DARI_NAME, DARI_NAME),  # the ZWNJ in ذبیح‌الله is spelling, and stays
    ],
)
def test_name_is_cleaned_before_drawing(raw: str, expected: str) -> None:
    text = replace(ARABIC, name=raw, verify_hint=f"تحقق عبر {isolate_ltr('/verify ' + CODE)}")
    lines = certificate_lines(text, locale="ar")
    assert expected in lines
    for line in lines:
        assert not any(ch in BIDI_CONTROLS for ch in line), line
        assert not any(
            unicodedata.category(ch) in {"Cc", "Cf"} and ch not in "\u200c\u200d" for ch in line
        ), line
    render_certificate(text, locale="ar")  # and it draws


def test_empty_name_still_renders() -> None:
    data = render_certificate(replace(UKRAINIAN, name="\u202e\u202c"), locale="uk")
    assert Image.open(io.BytesIO(data)).size == DEFAULT_SIZE


MIXED_NAMES = [
    "Олена Коваленко",
    "Amina Yusuf-Ali",
    "أمينة يوسف",
    "ذبیح‌الله احمدزی",
    "ټولګۍ ښکلې",  # Pashto letters in an Afghan name
    "Олена (أمينة) Yusuf",
    "علي Коваль ۱۲",
]


@pytest.mark.parametrize(
    ("text", "locale", "arabic_face"),
    [
        (ARABIC, "ar", Face.NASKH),
        (DARI, "fa_AF", Face.VAZIRMATN),
        (UKRAINIAN, "uk", Face.NASKH),
        (ENGLISH, "en", Face.NASKH),
    ],
)
@pytest.mark.parametrize("name", MIXED_NAMES)
def test_every_character_is_drawn_by_a_face_that_has_it(
    text: CertificateText, locale: str, arabic_face: Face, name: str
) -> None:
    lines = layout_certificate(replace(text, name=name), locale=locale)
    for line in lines:
        assert "".join(sorted(line.text)) == "".join(sorted("".join(r.text for r in line.runs)))
        for run in line.runs:
            for ch in run.text:
                if unicodedata.category(ch) in {"Zs", "Cf"}:
                    continue
                assert not _glyph_missing(run.face, line.bold, ch), (line.role, ch, run.face)
                if "\u0600" <= ch <= "\u06ff" and unicodedata.category(ch).startswith("L"):
                    assert run.face == arabic_face, (line.role, ch)
                if (ch.isalpha() and ch.isascii()) or "\u0400" <= ch <= "\u04ff":
                    assert run.face == Face.SANS, (line.role, ch)
    name_line = next(line for line in lines if line.role == "name")
    assert "".join(sorted(name_line.text)) == "".join(sorted(name))  # nothing dropped


def test_the_cmap_reader_agrees_with_freetype() -> None:
    from core.certificate_fonts import covered

    sample = ARABIC_LETTERS + PERSIAN_LETTERS + DIGITS + LATIN_CYRILLIC + "✓★•©"
    for face in Face:
        for ch in sample:
            assert (ord(ch) in covered(face, bold=True)) != _glyph_missing(face, True, ch), (
                face,
                ch,
            )


def test_a_character_no_face_has_is_left_out_not_boxed() -> None:
    lines = certificate_lines(replace(UKRAINIAN, name="Олена ✓★ Коваль"), locale="uk")
    assert "Олена  Коваль" in lines


def test_arabic_inside_a_left_to_right_line_is_its_own_run() -> None:
    assert split_runs("Olena علي ١٢ Koval", "ltr") == [
        ("Olena ", "ltr"),
        ("علي ١٢", "rtl"),
        (" Koval", "ltr"),
    ]
    name = next(
        line
        for line in layout_certificate(replace(UKRAINIAN, name="Олена علي Коваль"), locale="uk")
        if line.role == "name"
    )
    assert [(run.text, run.face) for run in name.runs] == [
        ("Олена ", Face.SANS),
        ("علي", Face.NASKH),
        (" Коваль", Face.SANS),
    ]
    assert name.runs[0].x < name.runs[1].x < name.runs[2].x


def test_certificates_stay_small() -> None:
    sizes = [
        len(render_certificate(replace(text, name=name), locale=locale))
        for (text, locale), name in zip(
            [(ARABIC, "ar"), (DARI, "fa_AF"), (UKRAINIAN, "uk"), (ENGLISH, "en")],
            ["Олена Коваленко", "Amina Yusuf", "أمينة يوسف", "ذبیح‌الله احمدزی"],
            strict=True,
        )
    ]
    assert max(sizes) < 60_000, sizes
