"""A worker's money from the first answer to the payout marked paid, through the stand-in and the
sender, in Arabic and in Dari: answers pay pending, the review window passes and it becomes
available, the worker sets mobile money, the weekly run sends a payout notice whose amount reads
right to left, and a coordinator of the worker's organisation marks the week's batch paid in
chat (forged buttons from another organisation change nothing)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from bidi import get_display
from sqlalchemy import select, update

from bot.app import Runtime
from bot.payout_job import run_payout_job
from core.bidi import strip_bidi_controls
from core.i18n import format_money, use_locale
from handlers.callbacks import PayAccept, PayoutAdmin
from people.models import AuditEntry
from tasks import payout_notices
from tasks.models import WorkProject
from tasks.payout_models import Payout
from tasks.payouts import period_of
from tests.e2e.conftest import Onboard, t
from tests.e2e.test_disputes import TITLES, _worker
from tests.e2e.test_learning import shown
from tests.e2e.test_payouts import PHONE, TYPED, line
from tests.e2e.test_trust_coordination import _coordinator

REWARD = 300  # minor units an answer
# US$6.00 as the reader sees it, left to right: one unit, the number in the language's digits
SEEN = {"ar": "US$\xa0٦٫٠٠", "fa_AF": "$\xa0۶٫۰۰"}


def visual(text: str) -> str:
    return strip_bidi_controls(get_display(text))


@pytest.mark.parametrize("locale", ["ar", "fa_AF"])
async def test_from_answers_to_a_payout_marked_paid(
    onboard: Onboard, runtime: Runtime, locale: str, tmp_path: Path
) -> None:
    admin, coordinator = await _coordinator(onboard)
    await admin.send("/org_new Other NGO")
    other = await onboard(21, "en", name="Omar")
    await admin.send("/coordinator_add 21 Other NGO")
    worker = await _worker(onboard, runtime, coordinator, locale)
    async with runtime.sessions() as session:
        await session.execute(update(WorkProject).values(reward_minor=REWARD))
        await session.commit()
    money = format_money(2 * REWARD, "USD", locale)

    await worker.send("/work")
    await worker.press(next(label for label in worker.last.labels if TITLES[locale] in label))
    await worker.press(t(locale, "▶️ Start"))
    for _ in range(2):
        runtime.clock.advance(timedelta(seconds=5))
        await worker.press("1")
    await worker.send("/earnings")
    assert line(locale, "Pending: {amount}", amount=money) in shown(worker)

    runtime.clock.advance(timedelta(hours=73))  # the project's review window has passed
    await worker.send("/earnings")
    assert line(locale, "Available: {amount}", amount=money) in shown(worker)
    await worker.press(t(locale, "💳 Set payout method"))
    await worker.press(t(locale, "Mobile money"))
    await worker.send(TYPED[locale])
    await worker.press(t(locale, "✅ Yes"))

    await run_payout_job(
        runtime.sessions, runtime.gate, runtime.clock, runtime.settings, out_dir=tmp_path
    )
    with use_locale(locale):
        created = payout_notices.payout_created(2 * REWARD, "USD", "mobile_money", PHONE)
        paid = payout_notices.payout_paid(2 * REWARD, "USD", "mobile_money", PHONE)
    notice = await worker.wait_for(lambda m: m.text == created)  # delivered by the sender
    assert SEEN[locale] in visual(notice.text or "")

    # Another organisation's coordinator sees no batch and cannot mark this one.
    await other.send("/payouts")
    assert other.last.text == "💸 No payouts yet."
    async with runtime.sessions() as session:
        [payout] = (await session.execute(select(Payout))).scalars()
    period = period_of(runtime.clock.now(), runtime.settings.zone)
    for forged in (
        PayoutAdmin(do="yes", i=payout.id or 0),
        PayoutAdmin(do="yes", p=period, c="USD"),
        PayoutAdmin(do="failed", i=payout.id or 0),
        PayoutAdmin(do="one", i=payout.id or 0),
        PayoutAdmin(do="batch", p="2026-W99", c="USD"),
    ):
        await other.press_data(forged.pack(), other.last.message_id)
    async with runtime.sessions() as session:
        assert (await session.get(Payout, payout.id)).state == "in_payout"

    await coordinator.send("/payouts")
    assert f"{period} · USD — payouts: 1, total $6.00; on their way: 1" in coordinator.last.text
    await coordinator.press(f"{period} · USD")
    assert "mobile money" in coordinator.last.text.lower() and "•••• 4821" in coordinator.last.text
    await coordinator.press("✅ All paid")
    assert coordinator.last.text.startswith("Mark as paid — payouts: 1, total $6.00.")
    await coordinator.press("✅ Yes, paid")
    assert "on their way: 0, paid: 1" in coordinator.last.text
    assert "✅ All paid" not in coordinator.last.labels

    runtime.clock.advance(timedelta(seconds=2))  # a second per chat: Telegram's pace
    await worker.wait_for(lambda m: m.text == paid)
    await worker.send("/earnings")
    assert line(locale, "Paid so far: {amount}", amount=money) in shown(worker)
    assert f"{money}, {t(locale, 'paid')}" in shown(worker)
    async with runtime.sessions() as session:
        audit = (
            await session.execute(
                select(AuditEntry.actor_id, AuditEntry.detail).where(
                    AuditEntry.action == "payout_paid"
                )
            )
        ).all()
    assert audit == [(20, "by member:20")]


async def test_a_coordinator_marks_one_payout_failed_with_a_reason(
    onboard: Onboard, runtime: Runtime, tmp_path: Path
) -> None:
    _, coordinator = await _coordinator(onboard)
    worker = await _worker(onboard, runtime, coordinator, "ar")
    async with runtime.sessions() as session:
        await session.execute(update(WorkProject).values(reward_minor=REWARD))
        await session.commit()
    await worker.send("/work")
    await worker.press(next(label for label in worker.last.labels if TITLES["ar"] in label))
    await worker.press(t("ar", "▶️ Start"))
    for _ in range(2):
        runtime.clock.advance(timedelta(seconds=5))
        await worker.press("1")
    runtime.clock.advance(timedelta(hours=73))
    await worker.send("/earnings")
    await worker.press(t("ar", "💳 Set payout method"))
    await worker.press(t("ar", "Mobile money"))
    await worker.send(TYPED["ar"])
    await worker.press(t("ar", "✅ Yes"))
    await run_payout_job(
        runtime.sessions, runtime.gate, runtime.clock, runtime.settings, out_dir=tmp_path
    )
    await worker.wait_for(lambda m: (m.text or "").startswith("💸"))

    await coordinator.send("/payouts")
    await coordinator.press(coordinator.last.labels[0])
    payout_button = next(label for label in coordinator.last.labels if label.startswith("#"))
    await coordinator.press(payout_button)
    await coordinator.press("⚠️ Failed")
    assert "Send the reason as a message" in coordinator.last.text
    await coordinator.send("The number is not registered for mobile money")
    assert coordinator.messages[-2].text == (
        "⚠️ Marked failed: 1. The money is back in their available balance."
    )
    with use_locale("ar"):
        failed = payout_notices.payout_failed(
            2 * REWARD, "USD", "The number is not registered for mobile money"
        )
    runtime.clock.advance(timedelta(seconds=2))
    await worker.wait_for(lambda m: m.text == failed)
    await worker.send("/earnings")
    assert line("ar", "Available: {amount}", amount=format_money(600, "USD", "ar")) in shown(worker)


async def test_a_coordinator_accepts_pending_pay_before_the_review_window_ends(
    onboard: Onboard, runtime: Runtime
) -> None:
    admin, coordinator = await _coordinator(onboard)
    await admin.send("/org_new Other NGO")
    other = await onboard(21, "en", name="Omar")
    await admin.send("/coordinator_add 21 Other NGO")
    worker = await _worker(onboard, runtime, coordinator, "fa_AF")
    async with runtime.sessions() as session:
        await session.execute(update(WorkProject).values(reward_minor=REWARD))
        await session.commit()
    await worker.send("/work")
    await worker.press(next(label for label in worker.last.labels if TITLES["fa_AF"] in label))
    await worker.press(t("fa_AF", "▶️ Start"))
    for _ in range(2):
        runtime.clock.advance(timedelta(seconds=5))
        await worker.press("1")
    money = format_money(2 * REWARD, "USD", "fa_AF")

    # Another organisation's coordinator has none of these workers: nothing to accept.
    await other.send("/projects")
    await other.press(next(label for label in other.last.labels if "Digits" in label))
    assert not any(label.startswith("💵") for label in other.last.labels)
    await other.press_data(PayAccept(p="digits", ok=True).pack(), other.last.message_id)
    await worker.send("/earnings")
    assert line("fa_AF", "Pending: {amount}", amount=money) in shown(worker)

    await coordinator.send("/projects")
    await coordinator.press(next(label for label in coordinator.last.labels if "Digits" in label))
    await coordinator.press("💵 Accept pending pay (2)")
    assert "answers: 2, total $6.00" in coordinator.last.text
    await coordinator.press("✅ Yes, accept")
    assert not any(label.startswith("💵") for label in coordinator.last.labels)
    await worker.send("/earnings")
    assert line("fa_AF", "Available: {amount}", amount=money) in shown(worker)
    async with runtime.sessions() as session:
        [entry] = (
            await session.execute(
                select(AuditEntry.actor_id, AuditEntry.detail).where(
                    AuditEntry.action == "pay_accepted"
                )
            )
        ).all()
    assert entry == (20, "2 answers")
