"""Minutes and seconds agree with their number: Arabic's dual and its 3-10 plural, Ukrainian and
Dari with their abbreviation or unit, English unchanged ("5 min")."""

from __future__ import annotations

import pytest

from core.bidi import strip_bidi_controls
from core.i18n import _, minutes_text, seconds_text, use_locale

ARABIC_MINUTES = {
    1: "دقيقة واحدة",
    2: "دقيقتين",
    3: "٣ دقائق",
    10: "١٠ دقائق",
    11: "١١ دقيقة",
    25: "٢٥ دقيقة",
    100: "١٠٠ دقيقة",
    103: "١٠٣ دقائق",
}


@pytest.mark.parametrize(("n", "said"), sorted(ARABIC_MINUTES.items()))
def test_arabic_minutes_agree_with_the_number(n: int, said: str) -> None:
    with use_locale("ar"):
        assert strip_bidi_controls(minutes_text(n)) == said


def test_arabic_seconds_and_fractions() -> None:
    with use_locale("ar"):
        assert strip_bidi_controls(seconds_text(2)) == "ثانيتين"
        assert strip_bidi_controls(seconds_text(4)) == "٤ ثوانٍ"
        assert strip_bidi_controls(seconds_text(1.5)) == "١٫٥ ثانية"


@pytest.mark.parametrize(
    ("locale", "said"), [("en", "5 min"), ("uk", "5 хв"), ("fa_AF", "۵ دقیقه")]
)
def test_other_languages_keep_their_unit(locale: str, said: str) -> None:
    with use_locale(locale):
        assert strip_bidi_controls(minutes_text(5)) == said


def test_the_work_card_says_how_long_in_arabic() -> None:
    msgid = "Today: {answers} answers, {earned}. ⏳ This item is yours for {minutes}."
    with use_locale("ar"):
        line = _(msgid).format(answers="٣", earned="", minutes=minutes_text(2))
    assert strip_bidi_controls(line).endswith("هذا العنصر محجوز لك دقيقتين.")
