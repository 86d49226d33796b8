"""Locale mapping, formatting, and right-to-left messages that embed numbers and Latin codes."""

from __future__ import annotations

import pytest
from bidi import get_display

from core.bidi import FSI, PDI, clean_display_name
from core.i18n import _, embed, format_money, format_number, use_locale
from core.locales import catalog_for


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("fa", "fa_AF"),
        ("fa-AF", "fa_AF"),
        ("prs", "fa_AF"),
        ("ar", "ar"),
        ("ar-SY", "ar"),
        ("uk", "uk"),
        ("en-GB", "en"),
        ("de", "en"),
        (None, "en"),
        ("", "en"),
    ],
)
def test_telegram_language_code_maps_to_a_catalog(code: str | None, expected: str) -> None:
    assert catalog_for(code) == expected


def test_unknown_language_falls_back_to_the_configured_default() -> None:
    assert catalog_for("ru", default="uk") == "uk"


def test_each_catalog_translates_the_menu() -> None:
    seen = set()
    for locale in ("ar", "fa_AF", "uk", "en"):
        with use_locale(locale):
            seen.add(_("Main menu. What would you like to do?"))
    assert len(seen) == 4


def test_money_is_integer_minor_units_formatted_per_locale() -> None:
    assert format_money(1250, "USD", "en") == "$12.50"
    assert format_money(1250, "USD", "uk") == "12,50\xa0USD"
    assert format_money(500, "JPY", "en") == "¥500"
    assert format_number(1234567, "uk") == "1\xa0234\xa0567"


@pytest.mark.parametrize("locale", ["ar", "fa_AF"])
def test_rtl_message_isolates_amount_and_latin_code(locale: str) -> None:
    amount = format_money(1250, "USD", locale)
    code = embed("RFQ-7K2M", locale)  # a string is kept as it is, isolated
    with use_locale(locale):
        sentence = (
            _("🎓 Your certificate for {course}. Verification code: {code}")
            .format(
                course=_("Training pay you earned: {amount}. It will be added to your earnings."),
                code=code,
            )
            .format(amount=amount)
        )
    assert sentence != sentence.encode("ascii", "ignore").decode()  # really right-to-left text
    assert amount.startswith(FSI) and amount.endswith(PDI)
    assert code == f"{FSI}RFQ-7K2M{PDI}"
    assert f"{FSI}RFQ-7K2M{PDI}" in sentence
    visual = get_display(sentence)
    assert "RFQ-7K2M" in visual  # the Latin code keeps its own left-to-right order
    assert {"ar": "١٢٫٥٠", "fa_AF": "۱۲٫۵۰"}[locale] in visual  # not split or reversed


def test_ltr_locales_are_not_wrapped() -> None:
    assert embed("RFQ-7K2M", "uk") == "RFQ-7K2M"
    assert format_money(1250, "USD", "en") == "$12.50"


def test_names_lose_bidi_controls_and_invisible_characters() -> None:
    assert clean_display_name("\u202eAmina\u202c  Haddad\u200b") == "Amina Haddad"
    assert clean_display_name("ذبیح\u200cالله\u2067") == "ذبیح\u200cالله"
    assert clean_display_name("\u2066\u2069") == ""


def test_times_are_shown_in_the_deployment_time_zone() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from core.i18n import format_datetime

    moment = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)
    shown = format_datetime(moment, "en", fmt="short", tzinfo=ZoneInfo("Asia/Kabul"))
    assert shown.replace("\u202f", " ") == "11/23/26, 1:30 AM"
