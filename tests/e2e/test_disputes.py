"""Disputes end to end: a flagged answer disputed with a sentence, reversed by a coordinator of
the worker's organisation, paid once and told in the worker's language; a coordinator of
another organisation neither sees nor decides it, not even with forged buttons."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import Runtime
from core.i18n import format_money, use_locale
from core.outbox import OutboxMessage
from courses.models import UserSkill
from handlers.callbacks import DisputeDecide, DisputeOpen, DisputeShow
from people.models import AuditEntry
from standin.client import SimUser
from tasks.disputes import Dispute
from tasks.models import Assignment, LedgerEntry, WorkerStanding
from tests.e2e.conftest import Onboard, t
from tests.e2e.test_learning import shown
from tests.e2e.test_trust_coordination import _code, _coordinator
from tests.tasks.test_work import setup

SENTENCE = "I know this digit well, I answered quickly because it was clear."
REASON = "Clear item: a quick answer is believable."
TITLES = {"ar": "أرقام", "fa_AF": "ارقام"}


async def _rows(runtime: Runtime, model: type, *where: object) -> list:
    async with runtime.sessions() as session:
        return list((await session.execute(select(model).where(*where))).scalars())


async def _worker(
    onboard: Onboard, runtime: Runtime, coordinator: SimUser, locale: str, **over: object
):
    await coordinator.send("/cohort_new Aleppo")
    code = _code(coordinator.last.text)
    await coordinator.send("/cohort_country Aleppo SY")
    assert "Syria" in coordinator.last.text
    worker = await onboard(300, locale, code=code)
    await setup(runtime, workers=0, **({"items": 2} | over))
    async with runtime.sessions() as session:
        session.add(
            UserSkill(
                user_id=300, skill="image-labelling", course_id="x", granted_at=runtime.clock.now()
            )
        )
        await session.commit()
    runtime.clock.advance(timedelta(minutes=1))
    return worker


@pytest.mark.parametrize("locale", ["ar", "fa_AF"])
async def test_a_flagged_answer_is_disputed_reversed_paid_once_and_the_worker_told(
    onboard: Onboard, runtime: Runtime, locale: str
) -> None:
    admin, coordinator = await _coordinator(onboard)
    await admin.send("/org_new Other NGO")
    other = await onboard(21, "en", name="Omar")
    await admin.send("/coordinator_add 21 Other NGO")
    worker = await _worker(onboard, runtime, coordinator, locale)

    await worker.send("/work")
    await worker.press(next(label for label in worker.last.labels if TITLES[locale] in label))
    await worker.press(t(locale, "▶️ Start"))
    await worker.press("1")  # at once: faster than the project's 1 s, flagged and not paid
    assert t(locale, "⚖️ Dispute") in worker.last.labels
    [flagged] = await _rows(runtime, Assignment, Assignment.user_id == 300)
    assert flagged.too_fast and not await _rows(runtime, LedgerEntry)
    await worker.press(t(locale, "⚖️ Dispute"))
    opened = t(
        locale,
        "⚖️ Your dispute is with the coordinators now; you will be told what they decide.\n\n"
        "If you like, send one sentence saying why.",
    )
    assert shown(worker).startswith(opened[:20])
    await worker.send(SENTENCE)
    assert shown(worker) == t(locale, "Thank you: your words are added to the dispute.")
    [dispute] = await _rows(runtime, Dispute)
    assert (dispute.reason, dispute.note, dispute.state) == ("too_fast", SENTENCE, "open")

    # Another organisation's coordinator: no button, and forged ones decide nothing.
    await other.send("/projects")
    assert not any("⚖️" in label for label in other.last.labels)
    message = other.last.message_id
    await other.press_data(DisputeShow(p="").pack(), message)
    await other.press_data(DisputeShow(p="digits").pack(), message)
    assert SENTENCE not in shown(other) and "No dispute is waiting." in shown(other)
    for rev in (True, False):
        await other.press_data(DisputeDecide(d=dispute.id, rev=rev, ok=True).pack(), message)
        await other.press_data(DisputeDecide(d=dispute.id, rev=rev).pack(), message)
    await other.send(REASON)  # no reason prompt is open for them: nothing is decided
    await other.press_data(DisputeOpen(a=flagged.id).pack(), message)  # not their answer
    [still] = await _rows(runtime, Dispute)
    assert still.state == "open" and still.decided_at is None
    assert not await _rows(runtime, LedgerEntry)
    assert len(await _rows(runtime, Dispute)) == 1

    # The worker's coordinator reverses it, with a reason.
    await coordinator.send("/projects")
    await coordinator.press("⚖️ Disputes (1)")
    assert SENTENCE in shown(coordinator) and "Flagged too fast" in shown(coordinator)
    case = coordinator.last.message_id
    await coordinator.press("↩️ Reverse: pay it")
    await coordinator.send(REASON)
    assert "↩️ Reversed: the answer is paid." in [m.text for m in coordinator.messages[-2:]]
    await coordinator.press_data(DisputeDecide(d=dispute.id, rev=True, ok=True).pack(), case)
    await coordinator.press_data(DisputeDecide(d=dispute.id, rev=False, ok=True).pack(), case)

    paid = await _rows(runtime, LedgerEntry, LedgerEntry.user_id == 300)
    assert [(e.kind, e.amount_minor, e.to_account) for e in paid] == [("answer", 2, "available")]
    [decided] = await _rows(runtime, Dispute)
    assert (decided.state, decided.decision_note) == ("reversed", REASON)
    [decision] = await _rows(runtime, AuditEntry, AuditEntry.action == "dispute_decide")
    assert (decision.actor_id, decision.object) == (20, f"dispute:{dispute.id}")
    [notice] = await _rows(runtime, OutboxMessage, OutboxMessage.user_id == 300)
    with use_locale(locale):
        amount = format_money(2, "USD")
    assert notice.kind == "dispute_decided" and notice.chat_id == 300
    assert notice.text == "\n\n".join(
        [
            t(
                locale,
                "⚖️ Your dispute about an answer in «{project}» was accepted: the answer is paid.",
            ).format(project=TITLES[locale]),
            t(locale, "{amount} was added to your available earnings.").format(amount=amount),
            t(locale, "The coordinator's note: {note}").format(note=REASON),
        ]
    )

    await worker.wait_for(lambda m: m.text == notice.text)  # the sender delivers it

    # The worker sees it in their answers, decided.
    await worker.send("/earnings")
    await worker.press(t(locale, "📜 History"))
    await worker.press(t(locale, "🧾 My answers"))
    assert t(locale, "⚖️ dispute accepted") in shown(worker)
    assert not any(label.startswith(t(locale, "⚖️ Dispute")) for label in worker.last.labels)


async def test_a_wrong_control_answer_and_a_refused_late_one_are_disputed_from_the_card(
    onboard: Onboard, runtime: Runtime
) -> None:
    _admin, coordinator = await _coordinator(onboard)
    worker = await _worker(onboard, runtime, coordinator, "en", items=1, gold=1, gold_share=1.0)
    await worker.send("/work")
    await worker.press("🏷 Digits")
    await worker.press("▶️ Start")
    runtime.clock.advance(timedelta(seconds=5))
    await worker.press("0")  # a control item; the right answer is 1
    assert "❌ This was a control item. The right answer: 1." in shown(worker)
    await worker.press("⚖️ Dispute")
    await worker.press("Next ➡️")
    runtime.clock.advance(timedelta(minutes=10))  # past the lease (5 min) and its grace (2)
    await worker.press("1")
    assert shown(worker) == (
        "The time for that item ran out and it went to someone else.\n\n"
        "If you think this is wrong, tap Dispute: a coordinator looks at it again."
    )
    await worker.press("⚖️ Dispute")
    found = sorted((d.reason, d.note) for d in await _rows(runtime, Dispute))
    assert found == [("gold", None), ("late", None)]

    await coordinator.send("/projects")
    await coordinator.press("⚖️ Disputes (2)")
    assert "A control item marked wrong. The right answer: 1." in shown(coordinator)
    assert "The worker wrote nothing." in shown(coordinator)
    await coordinator.press("↩️ Reverse: pay it")
    await coordinator.press("✅ Without a reason")
    assert "Refused as late: answered 10 min after the item was given" in shown(coordinator)
    await coordinator.press("✋ Uphold")
    await coordinator.press("✅ Without a reason")
    assert shown(coordinator) == "No dispute is waiting."

    async with runtime.sessions() as session:
        standing = await session.get(WorkerStanding, (300, "digits"))
    assert (standing.gold_answered, standing.gold_correct) == (1, 1)
    paid = await _rows(runtime, LedgerEntry, LedgerEntry.user_id == 300)
    assert [(e.kind, e.amount_minor) for e in paid] == [("answer", 2)]  # the control answer only
    notices = sorted(m.text for m in await _rows(runtime, OutboxMessage))
    assert notices == [
        "⚖️ Your dispute about an answer in «Digits» was accepted: your answer counts as right.",
        "⚖️ Your dispute about an answer in «Digits» was looked at: the decision stays.",
    ]
