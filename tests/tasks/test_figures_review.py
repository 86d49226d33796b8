"""Coordinators' services on the database: a project's figures, the review queue, settling an
item, pausing or closing a project, lifting a worker's pause; each change in the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.app import Runtime
from people import accounts
from people.models import AuditEntry
from tasks import figures, review, work
from tasks.models import Assignment, ItemState, WorkerStanding, WorkItem, WorkProject
from tasks.review import ReviewError
from tasks.work import WorkError
from tests.tasks.test_work import give, rows, setup, spec, take

COORDINATOR = 50
SECONDS = timedelta(seconds=5)


async def answer(rt: Runtime, user: int, label: str, wait: timedelta = SECONDS) -> work.Offer:
    offer = await take(rt, user)
    rt.clock.advance(wait)
    await give(rt, user, offer.assignment_id, [label])
    return offer


async def report(rt: Runtime, user: int, reason: str) -> work.Offer:
    offer = await take(rt, user)
    async with rt.sessions() as session:
        await work.put_back(session, user, offer.assignment_id, reason, clock=rt.clock)
        await session.commit()
    return offer


async def add_coordinator(rt: Runtime) -> None:
    async with rt.sessions() as session:
        await accounts.accept_consent(
            session,
            user_id=COORDINATOR,
            locale="en",
            invite_code=None,
            is_admin=False,
            clock=rt.clock,
        )
        await session.commit()


async def items_by_name(rt: Runtime) -> dict[str, WorkItem]:
    return {item.external_id: item for item in await rows(rt, WorkItem)}


async def audit_rows(rt: Runtime, action: str) -> list[tuple[int | None, str, str | None]]:
    async with rt.sessions() as session:
        found = await session.execute(
            select(AuditEntry.actor_id, AuditEntry.object, AuditEntry.detail)
            .where(AuditEntry.action == action)
            .order_by(AuditEntry.id)
        )
        return [tuple(row) for row in found]


async def test_figures_count_items_pace_agreement_workers_and_problems(runtime: Runtime) -> None:
    # i0, i1 regular (overlap 3 = max), i2, i3 gold ("1"); min_seconds 1.
    await setup(runtime, items=2, gold=2, workers=4, overlap=3, max_overlap=3)
    for label in ("1", "0", "1", "0"):  # i0, i1, then the gold i2 right, i3 wrong
        await answer(runtime, 100, label)
    runtime.clock.advance(timedelta(hours=3))
    await answer(runtime, 101, "1")  # i0
    await answer(runtime, 101, "2")  # i1
    await answer(runtime, 101, "1", wait=timedelta(0))  # gold i2, too fast: flagged, no standing
    await report(runtime, 101, "broken")  # gold i3
    await answer(runtime, 103, "0")  # i0: 2 of 3 say "1", complete at 0.6667
    await answer(runtime, 103, "1")  # i1: three answers, three labels: review
    await answer(runtime, 102, "0")  # gold i2, wrong
    await report(runtime, 102, "unclear")  # gold i3
    async with runtime.sessions() as session:
        await session.execute(
            update(WorkerStanding)
            .where(WorkerStanding.user_id == 102)
            .values(paused_at=runtime.clock.now())
        )
        await session.commit()

    async with runtime.sessions() as session:
        found = await figures.project_figures(session, "digits", runtime.clock.now())
        [summary] = await figures.summaries(session, runtime.clock.now())
    assert (found.items, found.done, found.review, found.open, found.gold_items) == (2, 1, 1, 0, 2)
    assert found.answers_last_hour == 6  # 101: 3, 103: 2, 102: 1
    hours = [0] * 24
    hours[20], hours[23] = 4, 6  # worker 100's four answers, 3 h 40 s before now
    assert list(found.answers_per_hour) == hours
    assert found.answers_24h == 10
    assert found.agreement == pytest.approx(0.6667)
    # 100: 1 of 2 right, smoothed 0.733 (70-90 %); 102: 0 of 1, 0.68 (50-70 %)
    assert found.accuracy_bands == (0, 1, 1, 0)
    assert (found.paused, found.too_fast) == (1, 1)
    assert found.reports == {"broken": 1, "unclear": 1}
    assert found.state == "open"
    assert (summary.project.id, summary.items, summary.done, summary.review) == ("digits", 2, 1, 1)
    assert summary.answers_last_hour == 6

    runtime.clock.advance(timedelta(hours=21))  # worker 100's answers are now 24 h 40 s old
    async with runtime.sessions() as session:
        later = await figures.project_figures(session, "digits", runtime.clock.now())
    assert later.answers_last_hour == 0
    assert later.answers_per_hour[2] == 6 and later.answers_24h == 6


async def test_an_empty_project_has_no_agreement_and_an_unknown_one_is_refused(
    runtime: Runtime,
) -> None:
    await setup(runtime, items=1)
    async with runtime.sessions() as session:
        found = await figures.project_figures(session, "digits", runtime.clock.now())
        assert (found.items, found.done, found.open, found.answers_24h) == (1, 0, 1, 0)
        assert found.agreement is None and found.reports == {}
        assert found.accuracy_bands == (0, 0, 0, 0)
        with pytest.raises(LookupError):
            await figures.project_figures(session, "nothing", runtime.clock.now())


def test_accuracy_bands_have_their_edges_in_the_upper_band() -> None:
    assert [figures.band(x) for x in (0.0, 0.49, 0.5, 0.69, 0.7, 0.899, 0.9, 1.0)] == [
        0,
        0,
        1,
        1,
        2,
        2,
        3,
        3,
    ]


async def test_the_queue_holds_review_items_then_reported_ones_never_gold(
    runtime: Runtime,
) -> None:
    await setup(runtime, items=4, gold=1, workers=2, overlap=2, max_overlap=2)
    async with runtime.sessions() as session:
        await session.execute(
            update(WorkItem).where(WorkItem.external_id == "i1").values(state=ItemState.REVIEW)
        )
        await session.commit()
    await report(runtime, 100, "unclear")  # i0
    for label in ("1", "1", "1"):  # i0, i2, i3
        await answer(runtime, 101, label)
    await report(runtime, 101, "broken")  # the gold i4
    items = await items_by_name(runtime)
    async with runtime.sessions() as session:
        queue = await review.review_queue(session, "digits", 10)
        everywhere = await review.review_queue(session, None, 10)
        second = await review.review_queue(session, "digits", 10, offset=1)
        count = await review.review_count(session, "digits")
        answers = await review.item_answers(session, items["i0"].id)
    assert [i.external_id for i in queue] == ["i1", "i0"]
    assert [i.external_id for i in everywhere] == ["i1", "i0"]
    assert [i.external_id for i in second] == ["i0"] and count == 2
    assert answers == review.ItemAnswers({("1",): 1}, {"unclear": 1})


async def test_settling_checks_the_label_decides_once_and_ends_live_leases(
    runtime: Runtime,
) -> None:
    await setup(runtime, items=2, gold=1, workers=2)
    await add_coordinator(runtime)
    held = await take(runtime, 100)  # i0, leased
    items = await items_by_name(runtime)
    i0, i1, gold = items["i0"].id, items["i1"].id, items["i2"].id
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        for item_id, label, reason in (
            (i1, ["9"], "bad_label"),
            (i1, ["1", "2"], "bad_label"),
            (i1, [], "bad_label"),
            (gold, ["1"], "gold"),
            (999, ["1"], "not_found"),
        ):
            with pytest.raises(ReviewError) as refused:
                await review.settle(session, item_id, label, COORDINATOR, now)
            assert refused.value.reason == reason
        settled = await review.settle(session, i0, ["2"], COORDINATOR, now)
        await session.commit()
    assert (settled.state, settled.label, settled.confidence) == ("settled", ["2"], 1.0)
    async with runtime.sessions() as session:
        with pytest.raises(ReviewError) as again:
            await review.settle(session, i0, ["1"], COORDINATOR, now)
    assert again.value.reason == "already"
    items = await items_by_name(runtime)
    assert (items["i0"].state, items["i0"].label, items["i0"].settled_by) == (
        "settled",
        ["2"],
        COORDINATOR,
    )
    assert items["i0"].leased == 0
    [lease] = [a for a in await rows(runtime, Assignment) if a.id == held.assignment_id]
    assert lease.state == "expired"
    # The worker's answer on the card they still see is paid within the grace, not counted.
    runtime.clock.advance(SECONDS)
    outcome = await give(runtime, 100, held.assignment_id, ["1"])
    assert (outcome.counted, outcome.late, outcome.credited_minor) == (False, True, 2)
    items = await items_by_name(runtime)
    assert (items["i0"].state, items["i0"].label, items["i0"].answered) == ("settled", ["2"], 0)
    assert (await take(runtime, 100)).item.external_id == "i1"
    assert await audit_rows(runtime, review.ITEM_SETTLE) == [
        (COORDINATOR, f"item:{i0}", "project:digits label:2")
    ]


async def test_tagging_settles_with_any_set_of_labels_even_none(runtime: Runtime) -> None:
    await setup(runtime, items=2, kind="tagging")
    await add_coordinator(runtime)
    items = await items_by_name(runtime)
    async with runtime.sessions() as session:
        now = runtime.clock.now()
        both = await review.settle(session, items["i0"].id, ["2", "0", "2"], COORDINATOR, now)
        none = await review.settle(session, items["i1"].id, [], COORDINATOR, now)
        await session.commit()
    assert (both.label, none.label) == (["0", "2"], [])


def test_a_verification_is_never_settled_as_not_sure() -> None:
    project = WorkProject(
        id="check",
        kind="verification",
        spec=spec(kind="verification"),
        spec_digest="x",
        reward_minor=1,
        currency="USD",
    )
    assert review.choices(project) == ("yes", "no")
    project.kind, project.spec = "comparison", spec(kind="comparison")
    assert review.choices(project) == ("a", "b")


async def test_pausing_or_closing_a_project_stops_new_items_until_it_reopens(
    runtime: Runtime,
) -> None:
    await setup(runtime, items=2)
    await add_coordinator(runtime)

    async def move(state: str) -> WorkProject:
        async with runtime.sessions() as session:
            moved = await review.set_state(
                session, "digits", state, runtime.clock.now(), actor_id=COORDINATOR
            )
            await session.commit()
            return moved

    assert (await move("paused")).state == "paused"
    with pytest.raises(WorkError) as paused:
        await take(runtime, 100)
    assert paused.value.reason == "closed"
    for state, reason in (("paused", "already"), ("shut", "bad_state")):
        with pytest.raises(ReviewError) as refused:
            await move(state)
        assert refused.value.reason == reason
    runtime.clock.advance(SECONDS)
    closed = await move("closed")
    assert (closed.state, closed.state_changed_at) == ("closed", runtime.clock.now())
    with pytest.raises(WorkError) as shut:
        await take(runtime, 100)
    assert shut.value.reason == "closed"
    assert (await move("open")).state == "open"
    assert (await take(runtime, 100)).item.external_id == "i0"
    async with runtime.sessions() as session:
        with pytest.raises(ReviewError) as unknown:
            await review.set_state(session, "nothing", "paused", runtime.clock.now())
    assert unknown.value.reason == "not_found"
    assert await audit_rows(runtime, review.PROJECT_STATE) == [
        (COORDINATOR, "project:digits", "open->paused"),
        (COORDINATOR, "project:digits", "paused->closed"),
        (COORDINATOR, "project:digits", "closed->open"),
    ]


async def test_resuming_a_worker_lifts_the_pause_and_keeps_the_counts(runtime: Runtime) -> None:
    await setup(runtime, items=2)
    await add_coordinator(runtime)
    async with runtime.sessions() as session:
        session.add(
            WorkerStanding(
                user_id=100,
                project_id="digits",
                gold_answered=6,
                gold_correct=2,
                paused_at=runtime.clock.now(),
            )
        )
        await session.commit()
    with pytest.raises(WorkError) as paused:
        await take(runtime, 100)
    assert paused.value.reason == "paused"
    async with runtime.sessions() as session:
        row = await review.resume_worker(
            session, "digits", 100, actor_id=COORDINATOR, now=runtime.clock.now()
        )
        await session.commit()
    assert (row.paused_at, row.gold_answered, row.gold_correct) == (None, 6, 2)
    assert (await take(runtime, 100)).item.external_id == "i0"
    async with runtime.sessions() as session:
        for project_id, user_id, reason in (
            ("digits", 100, "not_paused"),
            ("digits", 101, "not_paused"),
            ("nothing", 100, "not_found"),
        ):
            with pytest.raises(ReviewError) as refused:
                await review.resume_worker(
                    session, project_id, user_id, actor_id=COORDINATOR, now=runtime.clock.now()
                )
            assert refused.value.reason == reason
    assert await audit_rows(runtime, review.WORKER_RESUME) == [
        (COORDINATOR, "user:100", "project:digits")
    ]
