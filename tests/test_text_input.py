"""Input hygiene (core/text_input): what people type is cleaned, capped and parsed strictly."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from core.bidi import BIDI_CONTROLS, FSI, PDI
from core.i18n import use_locale
from core.text_input import (
    INVISIBLE_LETTERS,
    clean,
    clean_name,
    excerpt,
    has_visible_letter,
    parse_number,
)

INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u3164\u115f\u1160\uffa0\u00ad\u180e\u034f\u2800"


def test_names_are_nfc_collapsed_and_free_of_controls() -> None:
    assert clean("  Team \u200b  Alpha\u202e\n").text == "Team Alpha"
    assert clean("Cafe\u0301").text == "Café"  # NFC
    assert clean("ذبیح\u200cالله").text == "ذبیح\u200cالله"  # ZWNJ between letters is spelling
    assert clean("\u200cAmina\u200d").text == "Amina"  # at the edges it is not


def test_invisible_names_are_refused_defect_3() -> None:
    for name in ("\u200b\u200b", "\u3164", "\u115f\u1160", "\u200c \u200d", "\u2800", "ㅤ ㅤ"):
        assert clean_name(name, 64) is None, repr(name)
    assert clean_name("\u3164Amina\u200b", 64).text == "Amina"


def test_a_long_name_is_cut_at_a_word_and_says_so() -> None:
    cleaned = clean("Hope " * 40, 100)
    assert cleaned.shortened and cleaned.text == ("Hope " * 20).strip()
    assert not clean("Hope NGO", 100).shortened


def test_numbers_are_parsed_strictly_defect_5() -> None:
    assert parse_number("2024") == 2024
    assert parse_number("٢٠٢٤") == 2024  # Arabic-Indic
    assert parse_number("۲۰۲۴") == 2024  # Persian
    for text in ("²", "1²", "-1", "+1", "1 2", "१२", "½", "", "1.5", "0x1f", "１２"):
        assert parse_number(text) is None, repr(text)
    assert parse_number("0", low=1) is None
    assert parse_number("9" * 30) is None


def test_an_excerpt_is_short_and_isolated_when_direction_could_differ() -> None:
    long = "x" * 4000
    assert len(excerpt(long)) <= 41 and excerpt(long).endswith("…")
    assert excerpt("Hope NGO") == "Hope NGO"
    assert excerpt("امل\u202e") == f"{FSI}امل{PDI}"
    with use_locale("ar"):
        assert excerpt("Hope") == f"{FSI}Hope{PDI}"


@given(st.text())
def test_cleaned_text_holds_no_control_or_invisible_character(text: str) -> None:
    result = clean(text).text
    assert result == result.strip()
    assert "  " not in result
    assert unicodedata.is_normalized("NFC", result)
    for ch in result:
        assert ch not in BIDI_CONTROLS and ch not in INVISIBLE_LETTERS
        assert unicodedata.category(ch) not in {"Cc", "Cs", "Co", "Cn"}
        assert unicodedata.category(ch) != "Cf" or ch in "\u200c\u200d"


@given(st.text(), st.integers(min_value=1, max_value=200))
def test_a_cap_is_never_exceeded_and_never_silent(text: str, limit: int) -> None:
    cleaned = clean(text, limit)
    assert len(cleaned.text) <= limit
    assert cleaned.shortened == (len(clean(text).text) > limit)


@given(st.text(alphabet=st.sampled_from(INVISIBLE + " \t\n" + "".join(BIDI_CONTROLS))))
def test_text_of_invisible_characters_is_never_a_name(text: str) -> None:
    assert clean_name(text, 64) is None


@given(st.text(max_size=5000))
def test_an_excerpt_never_grows_past_its_limit_nor_leaks_a_bidi_control(text: str) -> None:
    short = excerpt(text)
    inner = short.removeprefix(FSI).removesuffix(PDI)
    assert len(inner) <= 40
    assert not any(ch in BIDI_CONTROLS for ch in inner)


@given(st.integers(min_value=0, max_value=10**12))
def test_every_digit_script_we_accept_reads_the_same_number(value: int) -> None:
    ascii_digits = str(value)
    arabic = ascii_digits.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    persian = ascii_digits.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert parse_number(ascii_digits) == parse_number(arabic) == parse_number(persian) == value


def test_a_visible_letter_is_a_letter_that_draws() -> None:
    assert has_visible_letter("a") and has_visible_letter("ب")
    assert not has_visible_letter("\u3164") and not has_visible_letter("123")
