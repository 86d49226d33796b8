"""A coordinator writes an announcement in the bot: a group, two languages and a fallback, a
preview of what each language group gets, then it goes into the outbox, one row a person; the
status message counts what the sender did; it can be stopped; nothing reaches past the
coordinator's organisation, whatever the buttons say."""

from __future__ import annotations

import asyncio
import contextlib
import io
from datetime import timedelta

from PIL import Image
from sqlalchemy import func, select, update

from bot.app import PollingBot, Runtime
from core import outbox
from core.outbox import OutboxMessage
from handlers.broadcast_status import refresh_statuses, status_loop
from handlers.callbacks import BroadcastAudience, BroadcastStep
from outreach.models import Broadcast
from people.models import Cohort
from standin.client import SimUser
from tests.e2e.conftest import Onboard

ARABIC = "مرحبا بالجميع، الدرس الجديد جاهز."
UKRAINIAN = "Привіт усім, новий урок готовий."


def _code(text: str) -> str:
    return text.split("start=")[1].split()[0].strip("\u2066\u2067\u2068\u2069")


async def _coordinator(
    admin: SimUser, onboard: Onboard, user_id: int, organisation: str, cohort: str
) -> tuple[SimUser, str]:
    await admin.send(f"/org_new {organisation}")
    coordinator = await onboard(user_id, "en", name="Coordinator")
    await admin.send(f"/coordinator_add {user_id} {organisation}")
    await coordinator.send(f"/cohort_new {cohort}")
    return coordinator, _code(coordinator.last.text)


async def _rows(runtime: Runtime, broadcast_id: int | None = None) -> dict[int, OutboxMessage]:
    async with runtime.sessions() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "broadcast")
        if broadcast_id is not None:
            query = query.where(OutboxMessage.broadcast_id == broadcast_id)
        return {row.user_id: row for row in (await session.execute(query)).scalars()}


async def _mark(runtime: Runtime, user_ids: list[int], state: str) -> None:
    """What the sender would do: the message went out, or the person blocked the bot."""
    async with runtime.sessions() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.user_id.in_(user_ids), OutboxMessage.kind == "broadcast")
            .values(state=state)
        )
        await session.commit()


async def _refresh(runtime: Runtime, polling: PollingBot) -> None:
    assert polling.bot is not None
    await refresh_statuses(
        polling.bot, runtime.sessions, runtime.gate, runtime.clock, runtime.settings.zone
    )


async def _people(onboard: Onboard, code: str) -> None:
    for user_id, locale in ((40, "ar"), (41, "fa_AF"), (42, "uk"), (43, "en")):
        await onboard(user_id, locale, code=code)


async def test_two_languages_a_fallback_a_preview_and_one_row_per_person(
    onboard: Onboard, runtime: Runtime, polling: PollingBot
) -> None:
    admin = await onboard(900, "en", name="Admin")
    coordinator, code = await _coordinator(admin, onboard, 20, "Hope NGO", "Lviv")
    await _people(onboard, code)
    await onboard(50, "ar")  # in no group: not reached
    await coordinator.send("/menu")
    await coordinator.press("📣 Announcement")
    assert coordinator.last.text == "📣 New announcement\n\nWho should get it?"
    await coordinator.press("One group")
    assert coordinator.last.text == "Which group?"
    await coordinator.press("Lviv")
    assert coordinator.last.text == (
        "Audience: Group Lviv, 4 people.\n\n"
        "Write the text for people who read العربية (1 person) and send it to me. "
        "Or skip it: they then get a text in another language."
    )
    await coordinator.send(ARABIC)
    await polling.restart()  # half-written: the conversation goes on after a restart
    assert coordinator.last.text.startswith("Write the text for people who read دری (1 person)")
    await coordinator.press("⏭ Skip this language")
    assert coordinator.last.text.startswith("Write the text for people who read Українська")
    await coordinator.send(UKRAINIAN)
    await coordinator.press("⏭ Skip this language")  # English
    assert coordinator.last.text == (
        "People who read دری and English have no text of their own. Which text should they get?"
    )
    await coordinator.press("Українська")
    assert coordinator.last.text == "Add a photo? Send it to me now, or tap No photo."
    before = len(coordinator.messages)
    await coordinator.press("No photo")
    preview = [m.text for m in coordinator.messages[before:]]
    assert preview == [
        ARABIC,
        UKRAINIAN,
        "Preview: above is exactly what each group gets, in this order.\n"
        "Audience: Group Lviv, 4 people.\n"
        "1. العربية: 1 person, the text in العربية\n"
        "2. دری, Українська, and English: 3 people, the text in Українська",
    ]
    assert coordinator.messages[before - 1].text == "Here is the preview."
    assert await _rows(runtime) == {}  # nothing is queued before the author says so

    await coordinator.press("📤 Send now")
    assert coordinator.last.text == "Send it to 4 people now?"
    await coordinator.press("✅ Yes, send")
    rows = await _rows(runtime)
    assert {uid: row.text for uid, row in rows.items()} == {
        40: ARABIC,
        41: UKRAINIAN,
        42: UKRAINIAN,
        43: UKRAINIAN,
    }
    [bid] = {row.broadcast_id for row in rows.values()}
    assert all(row.dedup_key == f"broadcast:{bid}:{uid}" for uid, row in rows.items())
    status = coordinator.last
    assert status.text == (
        f"📣 Announcement {bid}: sending.\n"
        "✅ Sent: 0\n⏳ Waiting: 4\n🚫 Blocked the bot: 0\n⚠️ Failed: 0"
    )
    assert status.labels == ["✖ Cancel the announcement"]
    # a second tap on the old confirmation writes nothing again
    await coordinator.press_data(BroadcastStep(b=bid, do="send").pack(), status.message_id)
    assert len(await _rows(runtime)) == 4

    await _mark(runtime, [40], outbox.SENT)
    await _mark(runtime, [41], outbox.UNREACHABLE)
    await _refresh(runtime, polling)
    status = next(m for m in coordinator.messages if m.message_id == status.message_id)
    assert status.text == (
        f"📣 Announcement {bid}: sending.\n"
        "✅ Sent: 1\n⏳ Waiting: 2\n🚫 Blocked the bot: 1\n⚠️ Failed: 0"
    )
    await _mark(runtime, [42, 43], outbox.SENT)
    await _refresh(runtime, polling)
    status = next(m for m in coordinator.messages if m.message_id == status.message_id)
    assert status.text == (
        f"📣 Announcement {bid}: finished.\n"
        "✅ Sent: 3\n⏳ Waiting: 0\n🚫 Blocked the bot: 1\n⚠️ Failed: 0"
    )
    assert status.labels == []
    async with runtime.sessions() as session:
        [report] = (
            (
                await session.execute(
                    select(OutboxMessage).where(OutboxMessage.kind == "broadcast_report")
                )
            )
            .scalars()
            .all()
        )
    assert (report.chat_id, report.text) == (
        20,
        f"📣 Announcement {bid} is finished: 3 sent, 1 blocked the bot, 0 failed.",
    )


async def test_a_scheduled_announcement_with_a_photo_is_cancelled_before_its_time(
    onboard: Onboard, runtime: Runtime, polling: PollingBot
) -> None:
    admin = await onboard(900, "en", name="Admin")
    coordinator, code = await _coordinator(admin, onboard, 20, "Hope NGO", "Lviv")
    await _people(onboard, code)
    await coordinator.send("/broadcast")
    await coordinator.press("One language")
    await coordinator.press("Українська")
    assert coordinator.last.text.startswith("Audience: People who read Українська, 1 person.")
    await coordinator.send(UKRAINIAN)
    image = io.BytesIO()
    Image.new("RGB", (64, 48), "orange").save(image, format="JPEG")
    before = len(coordinator.messages)
    await coordinator.send_photo(image.getvalue())
    sent = coordinator.messages[before:]
    assert sent[0].photo is not None and sent[0].caption == UKRAINIAN
    await coordinator.press("🕒 Send later")
    assert coordinator.last.text.startswith("When should it go? Send the date and time")
    await coordinator.send("yesterday")
    assert coordinator.last.text.startswith("I could not use that time")
    await coordinator.send("٢٠٢٦-١١-٢٢ ١٨:٣٠")  # Arabic-Indic digits; UTC in the test settings
    assert coordinator.last.text.startswith("Send it to 1 person on ")
    await coordinator.press("✅ Yes, send")
    [row] = (await _rows(runtime)).values()
    at = runtime.clock.now().replace(hour=18, minute=30)
    assert (row.user_id, row.text, row.not_before) == (42, UKRAINIAN, at)
    assert row.photo == sent[0].photo.file_id
    assert coordinator.last.text.startswith(f"📣 Announcement {row.broadcast_id}: it goes out on")

    await coordinator.press("✖ Cancel the announcement")
    assert coordinator.last.text == (
        "Stop the announcement? The 1 message still waiting will not be sent."
    )
    await coordinator.press("✖ Yes, stop it")
    assert coordinator.last.text == (
        f"📣 Announcement {row.broadcast_id}: cancelled. Nothing more is sent.\n"
        "✅ Sent: 0\n⏳ Waiting: 0\n🚫 Blocked the bot: 0\n⚠️ Failed: 0\n✖ Not sent: 1"
    )
    assert (await _rows(runtime))[42].state == outbox.CANCELLED
    runtime.clock.advance(timedelta(days=1))
    await _refresh(runtime, polling)
    assert (await _rows(runtime))[42].state == outbox.CANCELLED


async def test_forged_buttons_reach_no_one_outside_the_organisation(
    onboard: Onboard, runtime: Runtime, polling: PollingBot
) -> None:
    admin = await onboard(900, "en", name="Admin")
    hope, code = await _coordinator(admin, onboard, 20, "Hope NGO", "Lviv")
    await _people(onboard, code)
    dawn, _dawn_code = await _coordinator(admin, onboard, 30, "Dawn NGO", "Kyiv")
    async with runtime.sessions() as session:
        lviv = await session.scalar(select(Cohort.id).where(Cohort.name == "Lviv"))
    await dawn.send("/broadcast")
    screen = dawn.last.message_id
    await dawn.press_data(BroadcastAudience(kind="cohort", value=str(lviv)).pack(), screen)
    assert dawn.last.text == "📣 New announcement\n\nWho should get it?"  # unchanged
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0
    await dawn.press("Everyone in your groups")
    assert dawn.last.text.startswith("No one is in this audience. Choose another.")

    await hope.send("/broadcast")
    await hope.press("Everyone in your groups")
    await hope.send("Hello")
    for _ in range(3):
        await hope.press("⏭ Skip this language")
    await hope.press("No photo")
    # Later, not now: the rows wait whatever the machine's speed (the sender runs beside).
    await hope.press("🕒 Send later")
    await hope.send("2026-11-22 18:30")
    await hope.press("✅ Yes, send")
    [bid] = {row.broadcast_id for row in (await _rows(runtime)).values()}
    await dawn.press_data(BroadcastStep(b=bid, do="cancel_ok").pack(), screen)
    assert (await _rows(runtime))[40].state == outbox.WAITING
    member = await onboard(60, "en", code=code)
    await member.send("/broadcast")
    assert member.last.text == "I did not understand that. Send /help to see what I can do."
    await admin.send("/broadcast")
    await admin.press_data(BroadcastStep(b=bid, do="cancel_ok").pack(), admin.last.message_id)
    assert admin.last.text.startswith(f"📣 Announcement {bid}: cancelled.")
    assert {row.state for row in (await _rows(runtime)).values()} == {outbox.CANCELLED}


async def test_the_status_loop_keeps_the_count_up_to_date(
    onboard: Onboard, runtime: Runtime, polling: PollingBot
) -> None:
    admin = await onboard(900, "en", name="Admin")
    coordinator, code = await _coordinator(admin, onboard, 20, "Hope NGO", "Lviv")
    await _people(onboard, code)
    await coordinator.send("/broadcast")
    await coordinator.press("Everyone in your groups")
    await coordinator.send("Hello")
    for _ in range(3):
        await coordinator.press("⏭ Skip this language")
    await coordinator.press("No photo")
    assert polling.sender is not None
    await polling.sender.stop()  # this test marks the rows itself, in its own order
    await coordinator.press("📤 Send now")
    await coordinator.press("✅ Yes, send")
    assert polling.bot is not None
    loop = asyncio.create_task(
        status_loop(
            polling.bot,
            runtime.sessions,
            runtime.gate,
            runtime.clock,
            runtime.settings.zone,
            every=0.05,
        )
    )
    try:
        await _mark(runtime, [40, 41], outbox.SENT)
        await coordinator.wait_for(lambda m: "✅ Sent: 2\n" in (m.text or ""))
        await _mark(runtime, [42], outbox.FAILED)
        await _mark(runtime, [43], outbox.UNREACHABLE)
        done = await coordinator.wait_for(lambda m: "finished" in (m.text or ""))
    finally:
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop
    assert done.text.endswith("✅ Sent: 2\n⏳ Waiting: 0\n🚫 Blocked the bot: 1\n⚠️ Failed: 1")
    async with runtime.sessions() as session:
        reports = await session.scalar(
            select(func.count()).where(OutboxMessage.kind == "broadcast_report")
        )
    assert reports == 1
