"""The work loop under load: 50 workers at once, each update its own transaction, as in the bot.

Every worker is an asyncio task looping {next_item, commit; answer (or skip, or walk away from
the lease, or tap the answer twice), commit} until nothing is left for them. On SQLite each
transaction first takes the runtime's write gate (`UnitOfWork.begin_write`), as the bot's
update boundary does. Meanwhile leases are expired by moving the clock and sweeping. Then the
database must agree with itself and with what the workers were told.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import select, text

from bot.app import Runtime
from core.unit_of_work import UnitOfWork
from people import accounts
from tasks import work
from tasks.models import Assignment, AssignmentState, LedgerEntry, WorkItem, WorkProject
from tasks.work import WorkError

WORKERS = 50
ITEMS = 60
GOLD = 4
OVERLAP, MAX_OVERLAP = 3, 5
LEASE_SECONDS, GRACE_SECONDS = 300, 120
FIRST_USER = 7000
PROJECT = "load"
SKILLS = {"image-labelling"}
LABELS = ("0", "1", "2")
WALKER_EVERY = 8  # every 8th worker walks away from one lease

T = TypeVar("T")


def spec() -> dict[str, Any]:
    return {
        "id": PROJECT,
        "kind": "classification",
        "requires": sorted(SKILLS),
        "title": {"en": "Load"},
        "instructions": {"en": "Pick one."},
        "labels": [{"id": label, "text": {"en": label}} for label in LABELS],
        "reward": {"amount_minor": 3, "currency": "USD"},
        "overlap": OVERLAP,
        "max_overlap": MAX_OVERLAP,
        "min_agreement": 0.67,
        "gold_share": 0.1,
        "min_gold_accuracy": 0.0,  # nobody is paused: every worker keeps going to the end
        "lease_seconds": LEASE_SECONDS,
        "grace_seconds": GRACE_SECONDS,
        "min_seconds": 0,
        "aggregation": "majority",
    }


async def setup(rt: Runtime) -> None:
    data = spec()
    async with rt.sessions() as session:
        for n in range(WORKERS):
            await accounts.accept_consent(
                session,
                user_id=FIRST_USER + n,
                locale="en",
                invite_code=None,
                is_admin=False,
                clock=rt.clock,
            )
        session.add(
            WorkProject(
                id=PROJECT,
                kind=data["kind"],
                spec=data,
                spec_digest="x",
                reward_minor=3,
                currency="USD",
                created_at=rt.clock.now(),
            )
        )
        await session.flush()
        for n in range(ITEMS + GOLD):
            is_gold = n >= ITEMS
            session.add(
                WorkItem(
                    project_id=PROJECT,
                    external_id=f"i{n}",
                    content={"text": f"item {n}"},
                    is_gold=is_gold,
                    gold=["1"] if is_gold else None,
                    needed=OVERLAP,
                    priority=n % 3,
                    queue_rank=-(n % 3),
                    created_at=rt.clock.now(),
                )
            )
        await session.commit()


async def in_update(rt: Runtime, step: Callable[[Any], Awaitable[T]]) -> T:
    """Run `step(session)` as the bot runs an update: the write gate, one commit, or rollback.

    A WorkError is committed like the bot commits a refused tap (the service may have written).
    """
    async with rt.sessions() as session:
        unit = UnitOfWork(session, rt.gate)
        try:
            await unit.begin_write()
            try:
                result = await step(session)
            except WorkError:
                await unit.commit()
                raise
            await unit.commit()
            return result
        finally:
            await unit.rollback()


@dataclass
class Tally:
    """What the workers were told."""

    answered: dict[int, tuple[int, list[str]]] = field(default_factory=dict)  # assignment ->
    refusals: Counter[str] = field(default_factory=Counter)
    skips: int = 0
    walked_away: int = 0
    double_taps: int = 0
    late: int = 0
    sweeps: int = 0


class Sweeper:
    """Moves the clock past the lease and expires leases whenever a worker walked away."""

    def __init__(self, rt: Runtime, tally: Tally) -> None:
        self.rt, self.tally = rt, tally
        self.wanted = asyncio.Event()
        self.tick = asyncio.Event()
        self.stopped = False

    async def run(self) -> None:
        while True:
            await self.wanted.wait()
            self.wanted.clear()
            if self.stopped:
                return
            self.rt.clock.advance(timedelta(seconds=LEASE_SECONDS + 1))
            now = self.rt.clock.now()
            await in_update(self.rt, lambda session, now=now: work.expire_leases(session, now))
            self.tally.sweeps += 1
            tick, self.tick = self.tick, asyncio.Event()
            tick.set()

    async def wait_for_expiry(self) -> None:
        tick = self.tick
        self.wanted.set()
        await tick.wait()


async def worker(rt: Runtime, user: int, tally: Tally, sweeper: Sweeper) -> None:
    rng = random.Random(user)
    walked_away = (user - FIRST_USER) % WALKER_EVERY != 0  # only some ever walk away, once
    while True:
        try:
            offer = await in_update(
                rt,
                lambda session: work.next_item(
                    session,
                    user,
                    PROJECT,
                    skills=SKILLS,
                    language="en",
                    clock=rt.clock,
                    rng=rng,
                ),
            )
        except WorkError as error:
            assert error.reason == "empty", error.reason
            return
        roll = rng.random()
        if roll < 0.1:
            reason = rng.choice(("skip", "unsure", "unclear"))
            try:
                await in_update(
                    rt,
                    lambda session, a=offer.assignment_id, r=reason: work.put_back(
                        session, user, a, r, clock=rt.clock
                    ),
                )
                tally.skips += 1
            except WorkError as error:
                tally.refusals["put_back " + error.reason] += 1
            continue
        if roll < 0.2 and not walked_away:
            # Away from the phone: the lease runs out; back after the sweep, the late answer is
            # still paid within the grace (or, after a second sweep, refused as expired).
            walked_away = True
            tally.walked_away += 1
            await sweeper.wait_for_expiry()
        taps = 2 if roll > 0.95 else 1
        chosen = [[rng.choice(LABELS)] for _ in range(taps)]
        tally.double_taps += taps - 1
        results = await asyncio.gather(
            *(
                in_update(
                    rt,
                    lambda session, a=offer.assignment_id, answer=answer: work.answer(
                        session, user, a, answer, clock=rt.clock
                    ),
                )
                for answer in chosen
            ),
            return_exceptions=True,
        )
        successes = 0
        for answer, result in zip(chosen, results, strict=True):
            if isinstance(result, WorkError):
                tally.refusals[result.reason] += 1
            elif isinstance(result, BaseException):
                raise result
            else:
                successes += 1
                assert offer.assignment_id not in tally.answered
                tally.answered[offer.assignment_id] = (user, answer)
                tally.late += result.late
        assert successes <= 1, "one assignment answered twice"


async def run_workers(rt: Runtime) -> Tally:
    tally = Tally()
    sweeper = Sweeper(rt, tally)
    sweeping = asyncio.create_task(sweeper.run())
    try:
        await asyncio.gather(*(worker(rt, FIRST_USER + n, tally, sweeper) for n in range(WORKERS)))
    finally:
        sweeper.stopped = True
        sweeper.wanted.set()
        await sweeping
    return tally


async def test_fifty_workers_at_once_keep_the_books_straight(runtime: Runtime) -> None:
    await setup(runtime)
    tally = await run_workers(runtime)
    # Whoever walked away last may still hold a lease: the final sweep returns it.
    runtime.clock.advance(timedelta(seconds=LEASE_SECONDS + GRACE_SECONDS + 1))
    await in_update(runtime, lambda session: work.expire_leases(session, runtime.clock.now()))

    async with runtime.sessions() as session:
        items = {i.id: i for i in (await session.execute(select(WorkItem))).scalars()}
        assignments = list((await session.execute(select(Assignment))).scalars())
        owed = list((await session.execute(select(LedgerEntry))).scalars())

    # The load did what it was meant to: many answers, some of each kind of trouble.
    assert len(tally.answered) > ITEMS * OVERLAP // 2
    assert tally.skips and tally.walked_away and tally.double_taps and tally.sweeps
    assert tally.refusals["already"] >= tally.double_taps  # each second tap was refused

    # Never the same item twice to one worker.
    pairs = Counter((a.item_id, a.user_id) for a in assignments)
    assert max(pairs.values()) == 1

    # Every answer a worker was told was saved is there, as given; nothing else is.
    stored = {
        a.id: (a.user_id, a.answer)
        for a in assignments
        if a.state in (AssignmentState.ANSWERED, AssignmentState.LATE)
    }
    assert stored == tally.answered
    assert sum(a.state == AssignmentState.LATE for a in assignments) == tally.late

    # The item counters are the assignment rows, and no item holds more than it needs.
    counted: defaultdict[int, int] = defaultdict(int)
    leased: defaultdict[int, int] = defaultdict(int)
    for a in assignments:
        if a.state == AssignmentState.ANSWERED and not a.too_fast:
            counted[a.item_id] += 1
        elif a.state == AssignmentState.LEASED:
            leased[a.item_id] += 1
    assert not leased  # the final sweep expired every lease
    for item in items.values():
        assert (item.answered, item.leased) == (counted[item.id], leased[item.id]), item.id
        if not item.is_gold:
            assert OVERLAP <= item.needed <= MAX_OVERLAP
            assert counted[item.id] + leased[item.id] <= item.needed, item.id
    assert sum(counted.values()) > 0

    # Every paid answer credited once (kind "answer"), nothing credited for anything else.
    paid = Counter(o.source_key for o in owed if o.kind == "answer")
    assert all(n == 1 for n in paid.values())
    assert set(paid) == {f"{work.WORK_PAY_PREFIX}{a}" for a in stored}
    assert all(o.amount_minor == 3 and o.currency == "USD" for o in owed)
    by_user = Counter(o.user_id for o in owed)
    assert by_user == Counter(user for user, _ in tally.answered.values())


async def test_a_late_answer_racing_the_sweep_is_paid_not_refused(runtime: Runtime) -> None:
    """Past the lease, within the grace, the worker answers while another update's sweep expires
    the same lease: the answer must still be stored late and paid, not refused as "already"."""
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write gate runs the two one after the other: no race to lose")
    await setup(runtime)
    user = FIRST_USER
    offer = await in_update(
        runtime,
        lambda session: work.next_item(
            session, user, PROJECT, skills=SKILLS, language="en", clock=runtime.clock
        ),
    )
    runtime.clock.advance(timedelta(seconds=LEASE_SECONDS + 10))  # late, within the grace
    async with runtime.sessions() as sweep:
        await work.expire_leases(sweep, runtime.clock.now())  # holds the row, not committed
        answering = asyncio.create_task(
            in_update(
                runtime,
                lambda session: work.answer(
                    session, user, offer.assignment_id, ["1"], clock=runtime.clock
                ),
            )
        )
        await _until_waiting_on_a_lock(runtime)
        await sweep.commit()
    outcome = await answering
    assert (outcome.late, outcome.counted, outcome.credited_minor) == (True, False, 3)
    async with runtime.sessions() as session:
        stored = await session.get(Assignment, offer.assignment_id)
        owed = list((await session.execute(select(LedgerEntry))).scalars())
    assert stored is not None and (stored.state, stored.answer) == ("late", ["1"])
    assert [o.source_key for o in owed] == [f"{work.WORK_PAY_PREFIX}{offer.assignment_id}"]


async def _until_waiting_on_a_lock(rt: Runtime) -> None:
    """Until some other connection of this database waits on a row lock (bounded)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with rt.engine.connect() as connection:
        for _ in range(500):
            if (await connection.execute(query)).scalar_one():
                return
            await connection.rollback()
            await asyncio.sleep(0.01)
    raise AssertionError("the answer never waited on the sweep's row lock")
