"""Fair pay: the project's median time, its pay per hour, and top-ups to the floor, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.app import Runtime
from bot.settings import SettingsError, load_settings
from core.outbox import OutboxMessage
from people import accounts
from people.models import Cohort, Organisation, User
from tasks import fair_pay, figures, ledger
from tasks.fair_pay import Floor, parse_floors, per_answer
from tasks.figures import hourly_minor, median
from tasks.models import LedgerEntry, WorkItem, WorkProject
from tasks.owed import week_start
from tests.tasks.test_work import give, rows, spec, take

REWARD = 2  # USD cents an answer pays
FLOORS = {"SY": Floor(600, "USD"), "AF": Floor(200, "USD"), "UA": Floor(600, "EUR")}


def test_median_and_pay_per_hour_arithmetic() -> None:
    assert median([]) is None
    assert median([40_000, 20_000, 30_000]) == 30_000
    assert median([1, 2, 3, 4]) == Fraction(5, 2)  # exact, not rounded
    assert hourly_minor(2, Fraction(30_000)) == 240  # 2 cents per 30 s: 2.40 USD an hour
    # 6.00 USD an hour at 30 s an answer is 5 cents an answer exactly ...
    assert per_answer(600, Fraction(30_000)) == 5
    # ... and at 31 s it is 5.1666 cents: rounded up, in the worker's favour
    assert per_answer(600, Fraction(31_000)) == 6
    assert per_answer(600, Fraction(61_001, 2)) == 6  # 30.5005 s: 5.08 cents, rounded up


def test_floors_from_the_settings_text() -> None:
    assert parse_floors("SY=150 USD, af = 120 usd,") == {
        "SY": Floor(150, "USD"),
        "AF": Floor(120, "USD"),
    }
    for bad in ("SY=1.5 USD", "SYR=150 USD", "SY=150", "SY=150 DOLLARS"):
        with pytest.raises(ValueError):
            parse_floors(bad)
    settings = load_settings(_env_file=None, min_hourly_wage="SY=150 USD,AF=120 USD")
    assert settings.min_hourly_wage["AF"] == Floor(120, "USD")
    with pytest.raises(SettingsError, match=r"^MIN_HOURLY_WAGE: "):
        load_settings(_env_file=None, min_hourly_wage="SY=1.50 USD")


async def setup(rt: Runtime, countries: dict[int, str | None], **over: Any) -> None:
    """A project paying REWARD per answer, 12 items of overlap 3, and a worker per entry of
    `countries` in a cohort of that country (None: a cohort without one)."""
    data = spec(overlap=3, max_overlap=3, min_agreement=0.1, lease_seconds=600, **over)
    now = rt.clock.now()
    async with rt.sessions() as session:
        organisation = Organisation(name="Partner", created_at=now)
        session.add(organisation)
        await session.flush()
        cohorts: dict[str | None, int] = {}
        for country in set(countries.values()):
            cohort = Cohort(
                organisation_id=organisation.id,
                name=f"c-{country}",
                country=country,
                created_at=now,
            )
            session.add(cohort)
            await session.flush()
            cohorts[country] = cohort.id
        for user_id, country in countries.items():
            await accounts.accept_consent(
                session,
                user_id=user_id,
                locale="ar",
                invite_code=None,
                is_admin=False,
                clock=rt.clock,
            )
            await session.execute(
                update(User).where(User.id == user_id).values(cohort_id=cohorts[country])
            )
        session.add(
            WorkProject(
                id=data["id"],
                kind=data["kind"],
                spec=data,
                spec_digest="x",
                reward_minor=REWARD,
                currency="USD",
                created_at=now,
            )
        )
        await session.flush()
        for n in range(12):
            session.add(
                WorkItem(
                    project_id=data["id"],
                    external_id=f"i{n}",
                    content={"text": f"{n}"},
                    needed=3,
                    created_at=now,
                )
            )
        await session.commit()


async def work(rt: Runtime, user: int, seconds: float, times: int = 1) -> None:
    for _ in range(times):
        offer = await take(rt, user)
        rt.clock.advance(timedelta(seconds=seconds))
        await give(rt, user, offer.assignment_id, ["1"])


async def top_up(rt: Runtime, floors: dict[str, Floor] = FLOORS) -> fair_pay.TopUps:
    """The weekly job, run on the Monday after the week worked."""
    return await fair_pay.weekly_job(rt.sessions, _Monday(rt.clock.now()), floors, UTC)


class _Monday:
    def __init__(self, worked: datetime) -> None:
        self.at = week_start(worked) + timedelta(days=7, hours=9)

    def now(self) -> datetime:
        return self.at


async def top_ups(rt: Runtime) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for entry in await rows(rt, LedgerEntry):
        if entry.kind == "top_up":
            found.setdefault(entry.user_id, []).append(entry.amount_minor)
    return found


async def test_below_the_floor_each_paid_answer_is_topped_up_to_it_once(
    runtime: Runtime,
) -> None:
    await setup(runtime, {100: "SY", 101: "SY", 102: "SY"})
    for user, seconds in ((100, 20), (101, 30), (102, 40)):
        await work(runtime, user, seconds, times=2)
    # median 30 s; 2 cents per 30 s is 2.40 USD an hour, below 6.00: 5 cents an answer reach it
    first = await top_up(runtime)
    assert (first.credits, dict(first.amounts), first.notices) == (6, {"USD": 18}, 3)
    assert await top_ups(runtime) == {100: [3, 3], 101: [3, 3], 102: [3, 3]}
    assert FLOORS["SY"].amount_minor == (REWARD + 3) * 3600 / 30  # exactly the floor
    again = await top_up(runtime)
    assert (again.credits, again.notices) == (0, 0)
    assert await top_ups(runtime) == {100: [3, 3], 101: [3, 3], 102: [3, 3]}
    notices = [m for m in await rows(runtime, OutboxMessage) if m.kind == "fair_pay_top_up"]
    assert sorted(m.user_id for m in notices) == [100, 101, 102]
    assert "٠٫٠٦" in notices[0].text  # in the worker's language (ar), Arabic-Indic digits


async def test_nothing_is_written_at_or_above_the_floor(runtime: Runtime) -> None:
    await setup(runtime, {100: "AF", 101: "UA", 102: None})
    for user in (100, 101, 102):
        await work(runtime, user, 30, times=2)
    # AF: 2.40 USD an hour is above 2.00; UA's floor is in euros (never converted); no country
    done = await top_up(runtime)
    assert (done.credits, done.notices) == (0, 0)
    assert await top_ups(runtime) == {}
    assert not [m for m in await rows(runtime, OutboxMessage) if m.kind == "fair_pay_top_up"]


async def test_a_slow_worker_cannot_stretch_the_median(runtime: Runtime) -> None:
    await setup(runtime, {100: "SY", 101: "SY", 102: "SY"})
    await work(runtime, 100, 30, times=3)
    await work(runtime, 101, 30, times=3)
    await work(runtime, 102, 500, times=2)  # slow, but in time: paid, and topped up the same
    async with runtime.sessions() as session:
        project = await session.get(WorkProject, "digits")
        start = week_start(runtime.clock.now())
        pay = await figures.hourly_pay(session, project, start, start + timedelta(days=7))
    assert (pay.answers, pay.median_ms, pay.hourly_minor) == (8, 30_000, 240)
    await top_up(runtime)
    assert await top_ups(runtime) == {100: [3] * 3, 101: [3] * 3, 102: [3, 3]}


async def test_a_top_up_waits_where_its_answer_waits(runtime: Runtime) -> None:
    await setup(runtime, {100: "SY", 101: "SY"})
    await work(runtime, 100, 30, times=2)
    await work(runtime, 101, 30)
    async with runtime.sessions() as session:  # a coordinator accepted one answer's pay early
        credit = (
            (
                await session.execute(
                    select(LedgerEntry).where(LedgerEntry.user_id == 100).order_by(LedgerEntry.id)
                )
            )
            .scalars()
            .first()
        )
        assert await ledger.accept(session, credit.id, runtime.clock.now())
        await session.commit()
    await top_up(runtime)  # the Monday after: 24 hours later, within the 72-hour review window
    async with runtime.sessions() as session:
        mine = await ledger.balances(session, 100)
        theirs = await ledger.balances(session, 101)
    assert (mine["USD"].available, mine["USD"].pending) == (2 + 3, 2 + 3)
    assert (theirs["USD"].available, theirs["USD"].pending) == (0, 2 + 3)
    runtime.clock.advance(timedelta(hours=72))
    async with runtime.sessions() as session:
        await ledger.release_due(session, runtime.clock.now())
        theirs = await ledger.balances(session, 101)
        await session.commit()
    assert (theirs["USD"].available, theirs["USD"].pending) == (5, 0)


async def test_a_week_missed_while_the_bot_was_down_is_caught_up_once(runtime: Runtime) -> None:
    await setup(runtime, {100: "SY"})
    await work(runtime, 100, 30, times=2)
    late = _Monday(runtime.clock.now())
    late.at += timedelta(days=14)  # the job did not run for two Mondays
    first = await fair_pay.weekly_job(runtime.sessions, late, FLOORS, UTC)
    again = await fair_pay.weekly_job(runtime.sessions, late, FLOORS, UTC)
    assert (first.credits, first.notices, again.credits) == (2, 1, 0)
    assert await top_ups(runtime) == {100: [3, 3]}
