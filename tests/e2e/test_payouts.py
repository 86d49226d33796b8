"""Payouts through the stand-in: a worker registers mobile money in Arabic or Dari (typed in
their own digits), sees it masked, is paid by the weekly run, told so in their language, and
sees the payout marked paid on the Earnings screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import PollingBot, Runtime
from bot.payout_job import run_payout_job
from core.i18n import format_money, use_locale
from core.outbox import OutboxMessage
from tasks import ledger, payout_notices
from tasks.payout_models import Payout, PayoutMethod
from tasks.payouts import confirm
from tests.e2e.conftest import Onboard, t
from tests.e2e.test_learning import shown

PHONE = "+93701234821"
TYPED = {"ar": "+٩٣ ٧٠ ١٢٣ ٤٨٢١", "fa_AF": "+۹۳ ۷۰ ۱۲۳ ۴۸۲۱"}  # as a phone keyboard writes it


def line(locale: str, msgid: str, **values: str) -> str:
    with use_locale(locale):
        return t(locale, msgid).format(**values)


def masked(locale: str) -> str:
    with use_locale(locale):
        return payout_notices.method_shown("mobile_money", PHONE)


@pytest.mark.parametrize("locale", ["ar", "fa_AF"])
async def test_a_worker_registers_mobile_money_and_is_paid(
    onboard: Onboard, runtime: Runtime, locale: str, tmp_path: Path
) -> None:
    user = await onboard(330, locale)
    async with runtime.sessions() as session:
        await ledger.credit_once(
            session,
            user_id=330,
            kind="bonus",
            source_key="bonus:e2e",
            amount_minor=750,
            currency="USD",
            now=runtime.clock.now(),
        )
        await session.commit()
    money = format_money(750, "USD", locale)

    await user.send("/earnings")
    assert t(locale, "No payout method yet: set one to be paid.") in shown(user)
    assert line(
        locale, "Minimum to be paid: {amount}", amount=format_money(500, "USD", locale)
    ) in (shown(user))
    await user.press(t(locale, "💳 Set payout method"))
    await user.press(t(locale, "Mobile money"))
    await user.send("12")  # too short for a phone number: asked again
    assert shown(user).startswith(
        t(
            locale,
            "That does not look like a phone number. Send 8 to 15 digits, with the country code.",
        )
    )
    await user.send(TYPED[locale])
    assert t(locale, "✅ Yes") in user.last.labels
    await user.press(t(locale, "✅ Yes"))
    assert shown(user) == line(locale, "✅ Saved. You are paid by: {method}", method=masked(locale))
    assert "4821" in shown(user) and "70123" not in shown(user)
    async with runtime.sessions() as session:
        method = await session.get(PayoutMethod, 330)
        assert (method.kind, method.details) == ("mobile_money", PHONE)

    await user.send("/earnings")
    assert line(locale, "Payout method: {method}", method=masked(locale)) in shown(user)
    assert t(locale, "💳 Change payout method") in user.last.labels
    assert shown(user).count("\n" + t(locale, "Next payout: {date}").split("{")[0]) == 1

    result = await run_payout_job(
        runtime.sessions, runtime.gate, runtime.clock, runtime.settings, out_dir=tmp_path
    )
    [payout_id] = result.report.created
    with use_locale(locale):
        created = payout_notices.payout_created(750, "USD", "mobile_money", PHONE)
    await user.wait_for(lambda m: m.text == created)  # the sender delivers it, then /earnings
    await user.send("/earnings")
    assert line(locale, "In payout: {amount}", amount=money) in shown(user)
    assert f"{money}, {t(locale, 'on its way')}" in shown(user)
    async with runtime.sessions() as session:
        notices = (
            await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))
        ).scalars()
        [notice] = list(notices)
    assert notice.text == created
    assert money in notice.text and notice.chat_id == 330

    async with runtime.sessions() as session:
        await confirm(session, payout_id, runtime.clock.now(), paid=True, actor="finance")
        await session.commit()
        paid = await session.get(Payout, payout_id)
        assert paid.state == "paid"
    await user.send("/earnings")
    assert line(locale, "Paid so far: {amount}", amount=money) in shown(user)
    assert f"{money}, {t(locale, 'paid')}" in shown(user)


async def test_typed_payout_details_leave_no_plain_text_in_the_database_file(
    onboard: Onboard, runtime: Runtime
) -> None:
    path = runtime.settings.sqlite_path()
    if path is None:
        return  # PostgreSQL: tests/tasks/test_payouts.py checks the stored values
    user = await onboard(331, "en")
    await user.send("/earnings")
    await user.press("💳 Set payout method")
    await user.press("Bank account")
    await user.send("DE89 3704 0044 0532 0130 00")
    await user.press("✅ Yes")
    await runtime.engine.dispose()
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    for secret in ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "0532 0130"):
        assert secret.encode() not in raw, secret


async def test_the_details_prompt_survives_a_restart_and_a_method_can_be_changed(
    onboard: Onboard, runtime: Runtime, polling: PollingBot
) -> None:
    user = await onboard(332, "fa_AF")
    await user.send("/earnings")
    await user.press(t("fa_AF", "💳 Set payout method"))
    await user.press(t("fa_AF", "Online wallet"))
    await polling.restart()
    await user.send("amina.k@example.org")
    await user.press(t("fa_AF", "✅ Yes"))
    await user.send("/earnings")
    await user.press(t("fa_AF", "💳 Change payout method"))
    await user.press(t("fa_AF", "Cash through your partner organisation"))
    await user.press(t("fa_AF", "✅ Yes"))
    assert shown(user) == line(
        "fa_AF",
        "✅ Saved. You are paid by: {method}",
        method=t("fa_AF", "Cash through your partner organisation"),
    )
    async with runtime.sessions() as session:
        method = await session.get(PayoutMethod, 332)
        assert (method.kind, method.details) == ("cash", None)
