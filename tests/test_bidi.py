"""Right-to-left messages as a reader sees them: the Unicode bidi algorithm (python-bidi) run on
real catalog messages in Arabic and Dari, with amounts, signs and fractions from core.i18n.

`shown()` is the visual order, left to right, with the invisible direction marks removed: what a
phone draws. An amount must come out as one unit ("US$ ٠٫٤٠", never "$US"), a sign must stay
against its amount, and the numbers of a fraction or a "page 2 of 7" must be read in the order
they were written.
"""

from __future__ import annotations

import pytest
from babel import numbers
from bidi import get_display

from core.bidi import isolate, strip_bidi_controls
from core.i18n import (
    _,
    babel_locale,
    embed,
    format_fraction,
    format_money,
    format_percent,
    format_signed_money,
    minutes_text,
    use_locale,
)

RTL = ("ar", "fa_AF")
# 0.40 US$ as drawn left to right: Arabic writes the number first (on the right), Dari follows
# CLDR's left-to-right amount with the symbol before the number.
AMOUNT = {"ar": "US$\xa0٠٫٤٠", "fa_AF": "$\xa0۰٫۴۰"}
# The same amount with a plus sign: CLDR's Arabic sign (after an Arabic letter mark) is read
# first, so it is drawn on the number's right; Dari's sign (after a left-to-right mark) is drawn
# on the left, before the symbol, as Dari writes a negative amount.
SIGNED = {"ar": "US$\xa0٠٫٤٠+", "fa_AF": "+$\xa0۰٫۴۰"}
NEGATIVE = {"ar": "US$\xa0٠٫٤٠-", "fa_AF": "−$\xa0۰٫۴۰"}


def shown(text: str) -> str:
    """What the reader sees, left to right, direction marks and isolates left out."""
    return strip_bidi_controls(get_display(text))


def translated(msgid: str) -> str:
    text = _(msgid)
    assert text != msgid, f"no translation for {msgid!r}"
    return text


@pytest.mark.parametrize("locale", RTL)
def test_amount_alone_reads_as_one_unit(locale: str) -> None:
    assert shown(format_money(40, "USD", locale)) == AMOUNT[locale]
    assert shown(format_signed_money(40, "USD", locale)) == SIGNED[locale]
    assert shown(format_signed_money(-40, "USD", locale)) == NEGATIVE[locale]
    assert shown(format_signed_money(0, "USD", locale)) == shown(format_money(0, "USD", locale))


def test_babels_plain_amount_is_what_broke_in_arabic() -> None:
    """The check can fail: Babel's own "0.40 US$", merely isolated, is drawn as "$US"."""
    raw = numbers.format_currency(0.40, "USD", locale=babel_locale("ar"))
    with use_locale("ar"):
        message = translated("Each answer pays {amount}, once.").format(amount=isolate(raw))
    assert "$US" in shown(message)


@pytest.mark.parametrize("locale", RTL)
@pytest.mark.parametrize(
    "msgid",
    [
        "Available: {amount}",
        "Each answer pays {amount}, once.",
        "Each answer earns {amount} of training pay.",
        "Training pay you earned: {amount}. It will be added to your earnings.",
        "{amount} training pay",
    ],
)
def test_amounts_in_messages_keep_number_and_currency_together(locale: str, msgid: str) -> None:
    with use_locale(locale):
        message = translated(msgid).format(amount=format_money(40, "USD"))
    assert AMOUNT[locale] in shown(message)
    assert "$US" not in shown(message)


@pytest.mark.parametrize("locale", RTL)
def test_todays_figures_keep_each_amount_whole(locale: str) -> None:
    msgid = "Today: {answers} answers, {earned}. ⏳ This item is yours for {minutes}."
    with use_locale(locale):
        message = translated(msgid).format(
            answers=embed(12), earned=format_money(40, "USD"), minutes=minutes_text(5)
        )
    visual = shown(message)
    assert AMOUNT[locale] in visual
    twelve = {"ar": "١٢", "fa_AF": "۱۲"}[locale]
    assert twelve in visual  # not "21"


@pytest.mark.parametrize("locale", RTL)
def test_a_signed_amount_keeps_its_sign_against_the_number(locale: str) -> None:
    with use_locale(locale):
        message = translated(
            "Training pay you earned: {amount}. It will be added to your earnings."
        )
        message = message.format(amount=format_signed_money(40, "USD"))
    assert SIGNED[locale] in shown(message)


@pytest.mark.parametrize("locale", ["ar", "fa_AF"])
def test_plus_written_in_the_training_pay_message(locale: str) -> None:
    """handlers/practice.py writes "{amount} training pay" with the signed amount."""
    with use_locale(locale):
        message = translated("{amount} training pay").format(amount=format_signed_money(40, "USD"))
    assert SIGNED[locale] in shown(message)


@pytest.mark.parametrize("locale", RTL)
def test_lesson_heading_reads_page_two_of_seven(locale: str) -> None:
    with use_locale(locale):
        template = translated("{course} · Lesson {number}: {lesson} ({page}/{pages})")
        heading = template.format(
            course="الف", number=embed(3), lesson="ب", page=embed(2), pages=embed(7)
        )
    # Two numbers isolated apart around a slash are drawn "(7/2)": the glossary says it in words.
    assert "{page}/{pages}" not in template
    digits = {"ar": "٠١٢٣٤٥٦٧٨٩", "fa_AF": "۰۱۲۳۴۵۶۷۸۹"}[locale]
    visual = shown(heading)
    # Right to left: lesson 3 is read first, then page 2, then 7 pages.
    assert visual.index(digits[7]) < visual.index(digits[2]) < visual.index(digits[3])


@pytest.mark.parametrize("locale", RTL)
def test_quiz_result_reads_score_before_total(locale: str) -> None:
    with use_locale(locale):
        message = translated("You got {score} of {total} right. You need {mark} to pass.").format(
            score=embed(6), total=embed(9), mark=embed(format_percent(0.8))
        )
    digits = {"ar": "٠١٢٣٤٥٦٧٨٩", "fa_AF": "۰۱۲۳۴۵۶۷۸۹"}[locale]
    visual = shown(message)
    assert visual.index(digits[9]) < visual.index(digits[6])  # 6 is read before 9
    # 80%: its digits in order; Arabic reads the sign after the number (drawn on its left)
    assert {"ar": "٪٨٠", "fa_AF": "۸۰٪"}[locale] in visual


@pytest.mark.parametrize("locale", RTL)
def test_a_fraction_is_one_left_to_right_unit(locale: str) -> None:
    """A counter such as the practice card's "2/7": written as one run it keeps its order."""
    two_of_seven = {"ar": "٢/٧", "fa_AF": "۲/۷"}[locale]
    with use_locale(locale):
        line = translated("Training pay") + " " + format_fraction(2, 7)
        assert shown(line).count(two_of_seven) == 1
        # Each number isolated on its own, the slash between them: drawn "7/2", read backwards.
        broken = translated("Training pay") + " (" + embed(2) + "/" + embed(7) + ")"
    assert two_of_seven not in shown(broken)


def test_ltr_locales_are_plain_text() -> None:
    assert format_signed_money(40, "USD", "en") == "+$0.40"
    assert format_signed_money(-40, "USD", "en") == "-$0.40"
    assert format_signed_money(40, "USD", "uk") == "+0,40\xa0USD"
    assert format_fraction(2, 7, "uk") == "2/7"
