"""Payout methods: details checked per kind in any digit system, masked on screens, the kinds a
cohort allows, and the settings that configure them."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings
from core.i18n import use_locale
from tasks.payout_methods import MethodError, allowed_methods, mask, normalize
from tasks.payout_models import METHOD_KINDS
from tasks.payout_notices import method_shown


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+93 70 123 4821", "+93701234821"),
        ("+٩٣ ٧٠ ١٢٣ ٤٨٢١", "+93701234821"),  # Arabic-Indic digits
        ("۰۷۰۱۲۳۴۸۲۱", "0701234821"),  # Persian digits, a local number
        ("0093 (70) 123-4821", "+93701234821"),
        ("\u200f+93 701 234 821\u200e", "+93701234821"),  # direction marks a phone adds
    ],
)
def test_mobile_money_takes_a_phone_number_in_any_digits(typed: str, stored: str) -> None:
    assert normalize("mobile_money", typed) == stored


@pytest.mark.parametrize("typed", ["12", "+93 70 abc 4821", "1234567890123456", "²³⁴⁵⁶⁷⁸⁹", ""])
def test_a_phone_number_that_cannot_be_one_is_refused(typed: str) -> None:
    with pytest.raises(MethodError) as refused:
        normalize("mobile_money", typed)
    assert refused.value.reason == "bad_phone"


def test_bank_takes_a_checked_iban_or_an_account_number() -> None:
    assert normalize("bank", "de89 3704 0044 0532 0130 00") == "DE89370400440532013000"
    assert normalize("bank", "٠١٢٣ ٤٥٦٧ ٨٩") == "0123456789"
    for wrong in ("DE88370400440532013000", "12345", "ACCOUNT 1"):  # bad checksum, short, words
        with pytest.raises(MethodError) as refused:
            normalize("bank", wrong)
        assert refused.value.reason == "bad_account"


def test_online_wallet_takes_an_id_or_an_email() -> None:
    assert normalize("wallet", " Amina.K@Example.org ") == "amina.k@example.org"
    assert normalize("wallet", "wallet_4821") == "wallet_4821"
    for wrong in ("two words", "no@domain", "x", "=cmd@example.org", "+1+2", "-wallet"):
        with pytest.raises(MethodError) as refused:
            normalize("wallet", wrong)
        assert refused.value.reason == "bad_wallet"


def test_details_are_shown_masked_and_left_to_right_in_arabic() -> None:
    assert mask("mobile_money", "+93701234821") == "•••• 4821"
    assert mask("wallet", "amina.k@example.org") == "a••••@example.org"
    assert mask("cash", None) == ""
    with use_locale("ar"):
        shown = method_shown("bank", "DE89370400440532013000")
    assert "•••• 3000" in shown and "\u2066" in shown  # isolated left-to-right
    assert "0532" not in shown


def test_a_cohort_can_allow_fewer_methods() -> None:
    by_cohort = {7: ("cash", "mobile_money")}
    assert allowed_methods(7, METHOD_KINDS, by_cohort) == ("mobile_money", "cash")
    assert allowed_methods(8, ("bank",), by_cohort) == ("bank",)
    assert allowed_methods(None, METHOD_KINDS, by_cohort) == METHOD_KINDS


def test_payout_settings_are_read_from_the_environment_and_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAYOUT_METHODS", "cash, mobile_money")
    monkeypatch.setenv("PAYOUT_METHODS_BY_COHORT", '{"7": ["cash"]}')
    monkeypatch.setenv("PAYOUT_MINIMUM", '{"AFN": 35000}')
    settings = load_settings(_env_file=None)
    assert settings.payout_methods == ("cash", "mobile_money")
    assert settings.payout_methods_by_cohort == {7: ("cash",)}
    assert settings.payout_terms().minimum_for("AFN") == 35000
    assert settings.payout_terms().minimum_for("USD") == 1  # not named: any amount
    for name, wrong in (
        ("PAYOUT_METHODS", "cash,gold"),
        ("PAYOUT_METHODS_BY_COHORT", '{"7": []}'),
        ("PAYOUT_MINIMUM", '{"usd": 5}'),
    ):
        with monkeypatch.context() as patch:
            patch.setenv(name, wrong)
            with pytest.raises(SettingsError, match=name):
                load_settings(_env_file=None)
