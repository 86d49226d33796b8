"""Coordinators and projects, end to end: /projects and a project's figures, pausing and closing
it, settling an item from the review queue, exporting the results as files, lifting a worker's
pause; members are refused every command and button, and each change is in the audit log."""

from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image
from sqlalchemy import select, update

from bot.app import Runtime
from core.images import image_digest, prepare_image
from handlers.callbacks import ProjectSetState, ReviewSettle
from people.models import AuditEntry
from standin.chat import ChatMessage
from standin.client import SimUser
from standin.server import StandIn
from tasks.models import WorkerStanding, WorkImage, WorkItem, WorkProject
from tests.e2e.conftest import Onboard
from tests.e2e.test_trust_coordination import NOT_UNDERSTOOD, _coordinator
from tests.tasks.test_work import give, setup, take

BUTTON_GONE = "This button is no longer valid."


async def _answer(runtime: Runtime, user: int, label: str) -> None:
    offer = await take(runtime, user)
    runtime.clock.advance(timedelta(seconds=5))
    await give(runtime, user, offer.assignment_id, [label])


async def _item(runtime: Runtime, external_id: str) -> WorkItem:
    async with runtime.sessions() as session:
        return (
            await session.execute(select(WorkItem).where(WorkItem.external_id == external_id))
        ).scalar_one()


def _shown(user: SimUser, message_id: int) -> ChatMessage:
    """The screen in that message now (the documents came after it)."""
    return next(m for m in user.messages if m.message_id == message_id)


async def _state(runtime: Runtime) -> str:
    async with runtime.sessions() as session:
        project = await session.get(WorkProject, "digits")
        return project.state


async def test_a_coordinator_sees_figures_pauses_settles_exports_and_a_member_is_refused(
    onboard: Onboard, runtime: Runtime, standin: StandIn
) -> None:
    _, coordinator = await _coordinator(onboard)
    # Two workers disagree on i0 at the maximum overlap (2): it waits for review.
    await setup(runtime, items=2, workers=3, overlap=2, max_overlap=2)
    await _answer(runtime, 100, "0")
    await _answer(runtime, 101, "1")
    await _answer(runtime, 100, "2")  # i1

    await coordinator.send("/projects")
    assert coordinator.last.text == (
        "Labelling projects:\n🏷 Digits · open: done 0 of 2, to review 1, answers in the last hour 3"
        "\n💵 Pay per hour this week: $14.40 (median 5 s an answer) · no minimum wage set"
    )
    await coordinator.press("🏷 Digits")
    figures = coordinator.last
    assert figures.text == "\n".join(
        [
            "🏷 Digits · open",
            "",
            "Items: 2 · done 0 · to review 1 · open 1",
            "Control items: 0",
            "Answers: 3 in the last hour, 3 in 24 hours",
            "\u2066" + "▁" * 23 + "█\u2069 (per hour, oldest first; most 3)",
            "Agreement: no item completed yet",
            "Workers by accuracy on control items: <50%: 0 · 50%–70%: 0 · 70%–90%: 0 · ≥90%: 0",
            "Paused workers: 0 · answers flagged too fast: 0",
            "Problem reports: none",
        ]
    )
    assert figures.labels == [
        "⏸ Pause",
        "⛔ Close",
        "🔎 Review queue (1)",
        "📦 Export",
        "🔄 Refresh",
        "⬅️ Projects",
    ]

    events = await coordinator.press("⏸ Pause")
    [note] = [e.text for e in events if e.kind == "callback_answer"]
    assert note == "The project is paused: no one gets new items from it."
    assert coordinator.last.text.startswith("🏷 Digits · paused\n")
    assert coordinator.last.labels[:2] == ["▶️ Reopen", "⛔ Close"]
    assert await _state(runtime) == "paused"

    await coordinator.press("🔎 Review queue (1)")
    card = coordinator.last
    assert card.text == "\n".join(
        [
            "🔎 To review in «Digits»: 1 of 1",
            "",
            "item 0",
            "",
            "Choose the label that fits.",
            "",
            "The workers did not agree enough.",
            "Answers so far: 0: 1 · 1: 1",
            "Choose the right answer to settle the item.",
        ]
    )
    assert card.labels == ["0", "1", "2", "⏭ Skip", "⬅️ Back"]
    events = await coordinator.press("1")
    assert [e.text for e in events if e.kind == "callback_answer"] == ["✅ Settled: 1"]
    assert coordinator.last.text == "Nothing to review in «Digits»."
    settled = await _item(runtime, "i0")
    assert (settled.state, settled.label, settled.confidence, settled.settled_by) == (
        "settled",
        ["1"],
        1.0,
        20,
    )

    await coordinator.press("⬅️ Back")
    assert "Items: 2 · done 1 · to review 0 · open 1" in coordinator.last.text
    await coordinator.press("📦 Export")
    [status] = [m for m in coordinator.messages if "results" in (m.text or "")]
    shown = [
        e.message.text
        for e in coordinator.events
        if e.message is not None and e.message.message_id == status.message_id
    ]
    assert shown == [
        "⏳ Preparing the results of «Digits»…",
        "⏳ Preparing the results: items 2 of 2",
        "✅ The results of «Digits» are below.",
    ]
    documents = [m.document for m in coordinator.messages if m.document is not None]
    assert [d.file_name for d in documents] == [
        "digits.csv",
        "digits.jsonl",
        "digits.label-studio.json",
    ]
    [csv_file] = [f for f in standin.stored_files() if f.file_name == "digits.csv"]
    rows = csv_file.data.decode().splitlines()
    assert rows[1].startswith("i0,settled,1,1.0,2,")

    await coordinator.press("⬅️ Projects", message_id=figures.message_id)
    await coordinator.press("🏷 Digits")
    await coordinator.press("⛔ Close")
    assert _shown(coordinator, figures.message_id).text == (
        "Close «Digits»? Workers can no longer take its items; the answers already given stay. "
        "You can reopen it later."
    )
    assert await _state(runtime) == "paused"
    await coordinator.press("⛔ Yes, close it")
    assert await _state(runtime) == "closed"
    assert _shown(coordinator, figures.message_id).labels[0] == "▶️ Reopen"

    async with runtime.sessions() as session:
        session.add(
            WorkerStanding(
                user_id=101,
                project_id="digits",
                gold_answered=5,
                gold_correct=1,
                paused_at=runtime.clock.now(),
            )
        )
        await session.commit()
    await coordinator.send("/resume_worker digits 102")
    assert coordinator.last.text == "User 102 is not paused on \u2066digits\u2069."
    await coordinator.send("/resume_worker nothing 101")
    assert coordinator.last.text == "There is no project nothing."
    await coordinator.send("/resume_worker digits")
    assert coordinator.last.text == "Use it like this: /resume_worker PROJECT USER_ID"
    await coordinator.send("/resume_worker DIGITS 101")
    assert coordinator.last.text == (
        "User 101 can work on \u2066digits\u2069 again. Their accuracy on control items stays "
        "as it was: more wrong answers pause them again."
    )
    async with runtime.sessions() as session:
        standing = await session.get(WorkerStanding, (101, "digits"))
    assert (standing.paused_at, standing.gold_answered, standing.gold_correct) == (None, 5, 1)

    member = await onboard(31, "en")
    for command in ("/projects", "/resume_worker digits 101"):
        await member.send(command)
        assert member.last.text == NOT_UNDERSTOOD
    reopen = ProjectSetState(p="digits", s="open", ok=True).pack()
    events = await member.press_data(reopen, member.last.message_id)
    assert [e.text for e in events if e.kind == "callback_answer"] == [BUTTON_GONE]
    i1 = await _item(runtime, "i1")
    events = await member.press_data(
        ReviewSettle(i=i1.id, m=1, n=0, go=True).pack(), member.last.message_id
    )
    assert [e.text for e in events if e.kind == "callback_answer"] == [BUTTON_GONE]
    assert await _state(runtime) == "closed"
    assert (await _item(runtime, "i1")).state == "open"

    async with runtime.sessions() as session:
        entries = (
            await session.execute(
                select(AuditEntry.actor_id, AuditEntry.action, AuditEntry.object, AuditEntry.detail)
                .where(AuditEntry.actor_id == 20)
                .order_by(AuditEntry.id)
            )
        ).all()
    assert [tuple(e) for e in entries] == [
        (20, "project_state", "project:digits", "open->paused"),
        (20, "item_settle", f"item:{settled.id}", "project:digits label:1"),
        (20, "project_export", "project:digits", None),
        (20, "project_state", "project:digits", "paused->closed"),
        (20, "worker_resume", "user:101", "project:digits"),
    ]


async def test_an_admin_without_an_organisation_has_the_project_commands(
    onboard: Onboard, runtime: Runtime, standin: StandIn
) -> None:
    admin = await onboard(900, "en", name="Admin")
    await admin.send("/projects")
    assert admin.last.text == "There are no labelling projects yet."
    calls = [p for method, p in standin.calls if method.lower() == "setmycommands"]
    mine = [c for c in calls if "900" in str(c.get("scope", ""))]
    assert mine and "resume_worker" in str(mine[-1]["commands"])


async def test_a_tagging_item_with_a_picture_is_settled_with_the_labels_chosen(
    onboard: Onboard, runtime: Runtime
) -> None:
    _, coordinator = await _coordinator(onboard)
    await setup(runtime, items=1, workers=0, kind="tagging")
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, format="PNG")
    prepared = prepare_image(buffer.getvalue())
    async with runtime.sessions() as session:
        picture = WorkImage(
            digest=image_digest(prepared.data),
            data=prepared.data,
            width=prepared.width,
            height=prepared.height,
            source_bytes=len(buffer.getvalue()),
        )
        session.add(picture)
        await session.flush()
        await session.execute(
            update(WorkItem).values(image_id=picture.id, content={}, state="review")
        )
        await session.commit()

    await coordinator.send("/projects")
    await coordinator.press("🔖 Digits")
    await coordinator.press("🔎 Review queue (1)")
    card = coordinator.last
    assert card.photo is not None
    assert card.caption.split("\n")[-3:] == [
        "The workers did not agree enough.",
        "Answers so far: none",
        "Choose every label that fits, then settle the item.",
    ]
    assert card.labels == ["⬜ 0", "⬜ 1", "⬜ 2", "✅ Settle (0 chosen)", "⏭ Skip", "⬅️ Back"]
    await coordinator.press("⬜ 0")
    await coordinator.press("⬜ 2")
    assert coordinator.last.labels[:4] == ["☑️ 0", "⬜ 1", "☑️ 2", "✅ Settle (2 chosen)"]
    assert (await _item(runtime, "i0")).state == "review"
    events = await coordinator.press("✅ Settle (2 chosen)")
    assert [e.text for e in events if e.kind == "callback_answer"] == ["✅ Settled: 0 and 2"]
    settled = await _item(runtime, "i0")
    assert (settled.state, settled.label) == ("settled", ["0", "2"])
    assert coordinator.last.text == "Nothing to review in «Digits»."
