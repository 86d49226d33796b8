"""The outbox's sender against the stand-in (Telegram's limits on), on one simulated clock.

The stand-in refuses anything over its limits with a 429, so no 429 in its log means the limits
were kept; the log also gives each call's simulated time.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import outbox_claims
from bot import sender as sender_module
from bot.app import Runtime, start_sender, stop_sender
from bot.pacing import Pace
from bot.sender import OutboxSender, SenderConfig, build_sender_bot, prune_outbox
from core import db, outbox
from core.clock import ManualClock
from core.outbox import OutboxMessage
from people import reachability
from people.models import User
from standin.ratelimit import RateLimits
from standin.server import StandIn
from tests.outbox_helpers import (
    ANNOUNCEMENT,
    CallLog,
    SimulatedTime,
    add_people,
    enqueue_broadcast,
    received,
    states,
)

TOKEN = "1000000001:test-token-for-the-local-stand-in-only"
CONFIG = SenderConfig(rate=29, concurrency=8, max_attempts=3, backoff=5, claim_timeout=60)


@dataclass
class Rig:
    runtime: Runtime
    server: StandIn
    time: SimulatedTime
    log: CallLog

    def sender(self, config: SenderConfig = CONFIG) -> OutboxSender:
        sender = OutboxSender(
            self.runtime.sessions,
            self.runtime.gate,
            build_sender_bot(TOKEN, self.server.api_base),
            self.time.clock,
            config,
            postgres=self.runtime.settings.database_url.startswith("postgresql"),
            sleep=self.time.sleep,
        )
        self.time.sender = sender
        return sender

    async def drain(self, config: SenderConfig = CONFIG) -> OutboxSender:
        sender = self.sender(config)
        try:
            await asyncio.wait_for(sender.run(until_empty=True), 120)
        finally:
            await sender.bot.session.close()
        return sender

    async def rows(self) -> list[OutboxMessage]:
        async with self.runtime.sessions() as session:
            found = await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))
            return list(found.scalars())


async def _rig(runtime: Runtime, clock: ManualClock, limits: RateLimits) -> AsyncIterator[Rig]:
    time = SimulatedTime(clock)
    server = StandIn(rate_limits=limits, clock=time.timestamp)
    await server.start()
    try:
        yield Rig(runtime, server, time, CallLog(server, time.timestamp))
    finally:
        await server.stop()


@pytest.fixture
async def rig(runtime: Runtime, clock: ManualClock) -> AsyncIterator[Rig]:
    async for made in _rig(runtime, clock, RateLimits()):
        yield made


@pytest.fixture
async def slow_telegram(runtime: Runtime, clock: ManualClock) -> AsyncIterator[Rig]:
    """A Telegram that allows 5 messages a second, while the sender goes for 29."""
    async for made in _rig(runtime, clock, RateLimits(global_per_second=5)):
        yield made


@pytest.fixture
async def strict_chats(runtime: Runtime, clock: ManualClock) -> AsyncIterator[Rig]:
    """A Telegram that allows one message a second to a chat, without bursts."""
    async for made in _rig(runtime, clock, RateLimits(per_chat_per_second=1, per_chat_burst=1)):
        yield made


async def _notices(rig: Rig, chat_id: int, count: int) -> None:
    async with rig.runtime.sessions() as session:
        for n in range(count):
            await outbox.enqueue(
                session,
                chat_id=chat_id,
                kind="notice",
                text=f"notice {n}",
                now=rig.time.clock.now(),
            )
        await session.commit()


async def test_limits_are_kept_and_everyone_gets_their_message_once(rig: Rig) -> None:
    people = list(range(1000, 1120))
    locales = await add_people(rig.runtime.sessions, rig.server, people, rig.time.clock.now())
    await enqueue_broadcast(rig.runtime.sessions, locales, rig.time.clock.now())

    await rig.drain()

    assert rig.log.sends(429) == []
    assert rig.log.busiest_second() <= 30
    assert all(received(rig.server, uid) == [ANNOUNCEMENT[locales[uid]]] for uid in people)
    assert await states(rig.runtime.sessions) == {"sent": 120}
    assert all(r.attempts == 1 and r.telegram_message_id for r in await rig.rows())
    assert (120 - 2) / 29 <= rig.time.elapsed <= 120 / 29 * 1.05  # 29 a second


async def test_a_committed_notice_wakes_the_running_sender_at_once(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sender's idle poll is an hour here: only the commit's doorbell can bring the notice
    within the stand-in user's five seconds. A rolled-back notice rings nothing."""
    monkeypatch.setattr(sender_module, "POLL_SECONDS", 3600.0)
    await add_people(rig.runtime.sessions, rig.server, [7], rig.time.clock.now())
    sender = start_sender(rig.runtime, TOKEN, rig.server.api_base)
    woken: list[bool] = []
    stop_counting = outbox.on_commit(rig.runtime.engine, lambda: woken.append(True))
    try:
        async with asyncio.timeout(5):
            while not sender.resting:  # noqa: ASYNC110 - it has looked, found nothing, waits
                await asyncio.sleep(0)
        async with rig.runtime.sessions() as session:
            await outbox.enqueue(
                session, chat_id=7, kind="notice", text="dropped", now=rig.time.clock.now()
            )
            await session.rollback()
            await outbox.enqueue(
                session,
                chat_id=7,
                kind="notice",
                text="Your payout is on its way",
                now=rig.time.clock.now(),
            )
            await session.commit()
        await rig.server.user(7).wait_for(lambda m: m.text == "Your payout is on its way")
        assert woken == [True]
    finally:
        stop_counting()
        await stop_sender(sender)
    assert received(rig.server, 7) == ["Your payout is on its way"]


async def test_one_chat_gets_a_message_a_second(strict_chats: Rig) -> None:
    rig = strict_chats
    await add_people(rig.runtime.sessions, rig.server, [1500, 1501], rig.time.clock.now())
    await _notices(rig, 1500, 5)
    await _notices(rig, 1501, 1)

    await rig.drain()

    assert rig.log.sends(429) == []
    assert rig.log.closest_to_one_chat() >= 1.0
    assert received(rig.server, 1500) == [f"notice {n}" for n in range(5)]
    assert received(rig.server, 1501) == ["notice 0"]
    assert 4 <= rig.time.elapsed <= 5


async def test_a_message_for_later_goes_at_its_time_not_before(rig: Rig) -> None:
    await add_people(rig.runtime.sessions, rig.server, [1600], rig.time.clock.now())
    async with rig.runtime.sessions() as session:
        later = rig.time.clock.now() + timedelta(seconds=30)
        await outbox.enqueue(
            session, chat_id=1600, kind="notice", text="good morning", now=later, not_before=later
        )
        await session.commit()

    await rig.drain()

    [call] = rig.log.calls
    assert call.at >= later.timestamp()
    assert call.at - later.timestamp() <= 1  # and not long after
    assert received(rig.server, 1600) == ["good morning"]


async def test_a_429_is_waited_out_as_telegram_asks(slow_telegram: Rig) -> None:
    rig = slow_telegram
    people = list(range(2000, 2060))
    locales = await add_people(rig.runtime.sessions, rig.server, people, rig.time.clock.now())
    await enqueue_broadcast(rig.runtime.sessions, locales, rig.time.clock.now())

    await rig.drain()

    refused = rig.log.sends(429)
    assert refused, "the stand-in's 5/s should have refused the sender's 29/s"
    for refusal in refused:  # these people had no message before: the bot's global limit
        assert refusal.retry_after is not None
        resumed = [c.at for c in rig.log.sends() if c.at > refusal.at]
        assert not resumed or min(resumed) >= refusal.at + refusal.retry_after
    assert all(len(received(rig.server, uid)) == 1 for uid in people)
    rows = await rig.rows()
    assert {r.state for r in rows} == {"sent"}
    assert all(r.attempts == 1 for r in rows)  # a 429 gives the try back


def test_a_429_pauses_the_chat_only_when_the_chat_had_a_message_just_before() -> None:
    clock = ManualClock()
    pace = Pace(clock, 29)
    now = clock.now().timestamp()
    assert not pace.pause(42, 3, previous=now - 0.5, sent=now)
    assert pace.room(5) == 1 and not pace.chat_ready(42)  # 50 ms of 29/s: one at a time
    assert pace.pause(43, 3, previous=None, sent=now)
    assert pace.room(5) == 0 and pace.next_room_in() == pytest.approx(3)
    clock.advance(timedelta(seconds=3))
    assert pace.room(5) == 1 and pace.chat_ready(42)


async def test_a_blocked_person_is_marked_and_never_tried_again(rig: Rig) -> None:
    people = list(range(3000, 3010))
    locales = await add_people(rig.runtime.sessions, rig.server, people, rig.time.clock.now())
    blocked = people[:3]
    for uid in blocked:
        rig.server.block(uid)
        await _notices(rig, uid, 1)
    await enqueue_broadcast(rig.runtime.sessions, locales, rig.time.clock.now())

    await rig.drain()

    assert [c.chat_id for c in rig.log.sends(403)] == blocked  # one try each, not two
    assert await states(rig.runtime.sessions) == {"sent": 7, "unreachable": 6}
    async with rig.runtime.sessions() as session:
        marked = await session.execute(select(User.id).where(User.unreachable_since.is_not(None)))
        assert sorted(marked.scalars()) == blocked

    await enqueue_broadcast(rig.runtime.sessions, locales, rig.time.clock.now(), broadcast_id=2)
    await rig.drain()
    assert [c.chat_id for c in rig.log.sends(403)] == blocked  # not asked again
    assert await states(rig.runtime.sessions) == {"sent": 14, "unreachable": 9}
    rows = [r for r in await rig.rows() if r.chat_id in blocked]
    assert {r.error for r in rows} == {"TelegramForbiddenError 403", reachability.BLOCKED}


async def test_5xx_is_tried_again_later_and_later_then_parked(rig: Rig) -> None:
    await add_people(rig.runtime.sessions, rig.server, [4000, 4001], rig.time.clock.now())
    await _notices(rig, 4000, 1)
    rig.server.fail_next("sendMessage", 502, count=3)

    await rig.drain()

    tries = [c.at for c in rig.log.sends() if c.chat_id == 4000]
    assert [round(b - a) for a, b in itertools.pairwise(tries)] == [5, 10]
    [row] = await rig.rows()
    assert (row.state, row.attempts, row.error) == ("failed", 3, "TelegramServerError 5xx")
    assert received(rig.server, 4000) == []

    await _notices(rig, 4001, 1)  # Telegram is back
    await rig.drain()
    assert received(rig.server, 4001) == ["notice 0"]


async def test_a_bad_request_is_parked_at_once_with_its_type_and_code(rig: Rig) -> None:
    await add_people(rig.runtime.sessions, rig.server, [4100], rig.time.clock.now())
    async with rig.runtime.sessions() as session:
        await outbox.enqueue(
            session, chat_id=4100, kind="notice", text="x" * 5000, now=rig.time.clock.now()
        )
        await session.commit()
    await rig.drain()
    [row] = await rig.rows()
    assert (row.state, row.attempts, row.error) == ("failed", 1, "TelegramBadRequest 400")


async def test_photo_and_buttons_arrive_as_written(rig: Rig) -> None:
    await add_people(rig.runtime.sessions, rig.server, [4200], rig.time.clock.now())
    user = rig.server.user(4200)
    markup = {"inline_keyboard": [[{"text": "Open", "callback_data": "open"}]]}
    async with rig.runtime.sessions() as session:
        await outbox.enqueue(
            session,
            chat_id=4200,
            kind="notice",
            text="Look",
            now=rig.time.clock.now(),
            reply_markup=markup,
        )
        await session.commit()
    await rig.drain()
    assert user.last.text == "Look" and user.last.labels == ["Open"]


async def test_a_claim_left_by_a_crash_is_sent_again_once_after_the_timeout(rig: Rig) -> None:
    await add_people(rig.runtime.sessions, rig.server, [5000, 5001], rig.time.clock.now())
    await _notices(rig, 5000, 1)
    await _notices(rig, 5001, 1)
    now = rig.time.clock.now()

    def take_all(candidates: list[tuple[int, int, bool]]) -> outbox_claims.Picks:
        return outbox_claims.Picks(take=[row_id for row_id, _, _ in candidates])

    claimed = await outbox_claims.claim(
        rig.runtime.sessions, rig.runtime.gate, now, 10, take_all, postgres=False
    )
    assert len(claimed) == 2  # ...and the process dies before it calls Telegram
    async with rig.runtime.sessions() as session:  # the second one had used up its tries
        row = await session.get(OutboxMessage, claimed[1].id)
        assert row is not None
        row.attempts = CONFIG.max_attempts
        await session.commit()

    await rig.drain()  # within the timeout: nothing is sent, the rows are in doubt
    assert received(rig.server, 5000) == []
    rig.time.clock.advance(timedelta(seconds=61))
    await rig.drain()

    assert received(rig.server, 5000) == ["notice 0"]
    assert received(rig.server, 5001) == []
    rows = await rig.rows()
    assert [(r.state, r.error) for r in rows] == [
        ("sent", None),
        ("failed", outbox_claims.UNKNOWN),
    ]


async def test_sent_rows_are_pruned_after_the_days_kept(rig: Rig) -> None:
    await add_people(rig.runtime.sessions, rig.server, [6000], rig.time.clock.now())
    await _notices(rig, 6000, 2)
    await rig.drain()
    await _notices(rig, 6000, 1)
    rig.time.clock.advance(timedelta(days=30, seconds=1))
    now = rig.time.clock.now()
    pruned = await prune_outbox(rig.runtime.sessions, rig.runtime.gate, now, keep_days=30)
    assert pruned == 2
    assert [r.state for r in await rig.rows()] == ["waiting"]


async def test_two_senders_never_claim_the_same_row(runtime: Runtime, database_url: str) -> None:
    """Two processes' claims, side by side on their own connections, many rounds."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        for n in range(400):
            await outbox.enqueue(session, chat_id=7000 + n, kind="notice", text="x", now=now)
        await session.commit()
    postgres = database_url.startswith("postgresql")
    engines = [db.create_engine(database_url) for _ in range(2)]
    claimed: list[list[int]] = [[], []]

    def take_all(candidates: list[tuple[int, int, bool]]) -> outbox_claims.Picks:
        return outbox_claims.Picks(take=[row_id for row_id, _, _ in candidates])

    async def claimer(index: int) -> None:
        sessions = db.session_factory(engines[index])
        gate = db.write_gate(database_url)
        while True:
            rows = await outbox_claims.claim(sessions, gate, now, 7, take_all, postgres=postgres)
            if not rows:
                return
            claimed[index].extend(r.id for r in rows if r.id is not None)
            await asyncio.sleep(0)

    try:
        await asyncio.gather(claimer(0), claimer(1))
    finally:
        for engine in engines:
            await engine.dispose()
    assert not set(claimed[0]) & set(claimed[1])
    assert len(claimed[0]) + len(claimed[1]) == 400
    assert claimed[0] and claimed[1]
    async with runtime.sessions() as session:
        attempts = await session.execute(select(OutboxMessage.attempts).distinct())
        assert list(attempts.scalars()) == [1]


def test_the_sender_leaves_the_replies_their_share() -> None:
    from bot.settings import load_settings

    settings = load_settings(_env_file=None, outbox_rate=30, outbox_reply_reserve=1)
    assert SenderConfig.from_settings(settings).rate == 29
    assert replace(CONFIG, rate=999).rate == 999
