"""Broadcasts on the database: who each audience reaches (never past the author's organisation),
one outbox row per person in their language or the fallback, written once, counted by state,
and cancelled so that nothing still waiting goes."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import event, func, insert, select, update

from bot.app import Runtime
from core import outbox
from core.outbox import BROADCAST_PRIORITY, OutboxMessage
from courses.models import CourseProgress, UserSkill
from outreach import broadcasts
from outreach.audience import (
    ACTIVE,
    COHORT,
    COURSE_DONE,
    COURSE_NOT_DONE,
    EVERYONE,
    LANGUAGE,
    PROJECT,
    Audience,
    AudienceError,
    recipients,
)
from outreach.broadcasts import BroadcastError, Counts
from outreach.models import CANCELLED, DONE, SCHEDULED, SENDING, Broadcast
from people import accounts
from people.accounts import Member
from people.models import User
from tasks.models import WorkerStanding

ADMIN, HOPE, DAWN = 900, 20, 30  # an admin, and coordinators of two organisations


async def _world(rt: Runtime, work_projects: list[str] | None = None) -> dict[str, int]:
    """Hope NGO with groups Lviv (four people, one per language) and Kabul (two), Dawn NGO with
    group Kyiv (two), and one person in no group."""
    clock = rt.clock
    async with rt.sessions() as session:

        async def person(user_id: int, locale: str) -> None:
            await accounts.accept_consent(
                session,
                user_id=user_id,
                locale=locale,
                invite_code=None,
                is_admin=user_id == ADMIN,
                clock=clock,
            )

        await person(ADMIN, "en")
        admin = await accounts.get_member(session, ADMIN)
        cohorts: dict[str, int] = {}
        for user_id, organisation in ((HOPE, "Hope NGO"), (DAWN, "Dawn NGO")):
            await accounts.create_organisation(session, organisation, clock, actor=admin)
            await person(user_id, "en")
            await accounts.appoint_coordinator(session, user_id, organisation, actor=admin)
        hope = await accounts.get_member(session, HOPE)
        dawn = await accounts.get_member(session, DAWN)
        for owner, name in ((hope, "Lviv"), (hope, "Kabul"), (dawn, "Kyiv")):
            info, _code = await accounts.create_cohort(session, owner, name, clock)
            cohorts[name] = info.id
        people = {
            101: ("ar", "Lviv"),
            102: ("fa_AF", "Lviv"),
            103: ("uk", "Lviv"),
            104: ("en", "Lviv"),
            105: ("fa_AF", "Kabul"),
            106: ("ar", "Kabul"),
            201: ("uk", "Kyiv"),
            202: ("ar", "Kyiv"),
            301: ("en", None),
        }
        for user_id, (locale, cohort) in people.items():
            await person(user_id, locale)
            if cohort:
                (await session.get(User, user_id)).cohort_id = cohorts[cohort]
        await session.commit()
    return cohorts


async def _member(rt: Runtime, user_id: int) -> Member:
    async with rt.sessions() as session:
        member = await accounts.get_member(session, user_id)
    assert member is not None
    return member


async def _reached(rt: Runtime, author: int, audience: Audience) -> list[int]:
    member = await _member(rt, author)
    reach = None if member.is_admin else member.organisation_id
    async with rt.sessions() as session:
        return [uid for uid, _ in await recipients(session, reach, audience, rt.clock.now())]


async def test_each_kind_of_audience_within_the_coordinators_organisation(
    runtime: Runtime, work_projects: list[str]
) -> None:
    cohorts = await _world(runtime)
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        session.add(
            CourseProgress(
                user_id=101,
                course_id="working-on-platform",
                stage="passed",
                started_at=now,
                updated_at=now,
                completed_at=now,
            )
        )
        session.add(
            CourseProgress(
                user_id=201,
                course_id="working-on-platform",
                stage="passed",
                started_at=now,
                updated_at=now,
                completed_at=now,
            )
        )
        for user_id in (102, 103, 202):
            session.add(
                UserSkill(user_id=user_id, skill="image-labelling", course_id="x", granted_at=now)
            )
        session.add(WorkerStanding(user_id=103, project_id="digit-check", paused_at=now))
        await session.commit()
    hope_people = [101, 102, 103, 104, 105, 106]
    assert await _reached(runtime, HOPE, Audience(EVERYONE)) == hope_people
    everyone = sorted([ADMIN, HOPE, DAWN, *hope_people, 201, 202, 301])
    assert await _reached(runtime, ADMIN, Audience(EVERYONE)) == everyone
    assert await _reached(runtime, HOPE, Audience(COHORT, cohort_id=cohorts["Kabul"])) == [
        105,
        106,
    ]
    assert await _reached(runtime, HOPE, Audience(LANGUAGE, locale="ar")) == [101, 106]
    assert sorted(await _reached(runtime, ADMIN, Audience(LANGUAGE, locale="ar"))) == [
        101,
        106,
        202,
    ]
    course = "working-on-platform"
    assert await _reached(runtime, HOPE, Audience(COURSE_DONE, course_id=course)) == [101]
    assert await _reached(runtime, HOPE, Audience(COURSE_NOT_DONE, course_id=course)) == [
        102,
        103,
        104,
        105,
        106,
    ]
    # digit-check needs image-labelling; 103 has it but is paused on the project
    assert await _reached(runtime, HOPE, Audience(PROJECT, project_id="digit-check")) == [102]
    assert await _reached(runtime, ADMIN, Audience(PROJECT, project_id="digit-check")) == [
        102,
        202,
    ]
    # clearer-answer needs two skills: no one has both
    assert await _reached(runtime, ADMIN, Audience(PROJECT, project_id="clearer-answer")) == []

    runtime.clock.advance(timedelta(days=10))
    async with runtime.sessions() as session:
        row = await session.get(CourseProgress, (201, course))
        row.updated_at = runtime.clock.now() - timedelta(days=2)
        row = await session.get(CourseProgress, (101, course))
        row.updated_at = runtime.clock.now() - timedelta(days=5)
        await session.commit()
    assert await _reached(runtime, ADMIN, Audience(ACTIVE, days=3)) == [201]
    assert await _reached(runtime, ADMIN, Audience(ACTIVE, days=7)) == [101, 201]
    assert await _reached(runtime, HOPE, Audience(ACTIVE, days=7)) == [101]
    assert len(await _reached(runtime, ADMIN, Audience(ACTIVE, days=30))) == 12  # all joined


async def test_a_coordinator_cannot_reach_another_organisations_cohort(runtime: Runtime) -> None:
    cohorts = await _world(runtime)
    hope = await _member(runtime, HOPE)
    kyiv = Audience(COHORT, cohort_id=cohorts["Kyiv"])
    async with runtime.sessions() as session:
        with pytest.raises(AudienceError) as refused:
            await broadcasts.start(session, hope, kyiv, runtime.clock.now())
        assert refused.value.reason == "unknown_cohort"
    # even a broadcast row naming that cohort (forged) reaches no one outside the organisation
    assert await _reached(runtime, HOPE, kyiv) == []
    assert await _reached(runtime, ADMIN, kyiv) == [201, 202]
    member = await _member(runtime, 101)
    async with runtime.sessions() as session:
        with pytest.raises(AudienceError):
            await broadcasts.start(session, member, Audience(EVERYONE), runtime.clock.now())


async def _draft(rt: Runtime, author: int, audience: Audience, texts: dict[str, str]) -> int:
    member = await _member(rt, author)
    async with rt.sessions() as session:
        broadcast = await broadcasts.start(session, member, audience, rt.clock.now())
        for locale, text in texts.items():
            broadcasts.set_text(broadcast, locale, text)
        await session.commit()
        assert broadcast.id is not None
        return broadcast.id


async def _outbox(rt: Runtime, broadcast_id: int) -> dict[int, OutboxMessage]:
    async with rt.sessions() as session:
        rows = await session.execute(
            select(OutboxMessage).where(OutboxMessage.broadcast_id == broadcast_id)
        )
        return {row.user_id: row for row in rows.scalars()}


async def test_expansion_writes_one_row_per_person_in_their_language_or_the_fallback_once(
    runtime: Runtime,
) -> None:
    await _world(runtime)
    bid = await _draft(runtime, HOPE, Audience(EVERYONE), {"ar": "مرحبا", "en": "Hello"})
    async with runtime.sessions() as session:
        broadcast = await session.get(Broadcast, bid)
        broadcasts.set_fallback(broadcast, "en")
        sizes = await broadcasts.sizes(session, broadcast, runtime.clock.now())
        assert sizes == {"ar": 2, "fa_AF": 2, "uk": 1, "en": 1}
        assert [
            (v.text_locale, v.locales, v.people) for v in broadcasts.variants(broadcast, sizes)
        ] == [
            ("ar", ("ar",), 2),
            ("en", ("fa_AF", "uk", "en"), 4),
        ]
        written = await broadcasts.confirm(session, broadcast, runtime.clock.now())
        await session.commit()
    assert written == 6
    rows = await _outbox(runtime, bid)
    assert {uid: row.text for uid, row in rows.items()} == {
        101: "مرحبا",
        102: "Hello",
        103: "Hello",
        104: "Hello",
        105: "Hello",
        106: "مرحبا",
    }
    row = rows[101]
    assert (row.kind, row.dedup_key, row.priority, row.chat_id, row.state) == (
        "broadcast",
        f"broadcast:{bid}:101",
        BROADCAST_PRIORITY,
        101,
        "waiting",
    )
    assert row.not_before == runtime.clock.now()

    async with runtime.sessions() as session:
        broadcast = await session.get(Broadcast, bid)
        with pytest.raises(BroadcastError):  # a second tap on "Send"
            await broadcasts.confirm(session, broadcast, runtime.clock.now())
        assert await broadcasts.expand(session, broadcast, runtime.clock.now()) == 0
        await session.commit()
        assert broadcast.state == SENDING and broadcast.recipients == 6
    assert len(await _outbox(runtime, bid)) == 6


async def test_ten_thousand_people_are_written_in_chunks_for_a_scheduled_time(
    runtime: Runtime,
) -> None:
    cohorts = await _world(runtime)
    async with runtime.sessions() as session:
        await session.execute(
            insert(User),
            [
                {
                    "id": 10_000 + n,
                    "locale": ("ar", "fa_AF", "uk", "en")[n % 4],
                    "role": "member",
                    "cohort_id": cohorts["Lviv"],
                    "consented_at": runtime.clock.now(),
                }
                for n in range(9996)
            ],
        )
        await session.commit()
    lviv = Audience(COHORT, cohort_id=cohorts["Lviv"])
    bid = await _draft(runtime, HOPE, lviv, {"uk": "Привіт", "ar": "مرحبا"})
    at = runtime.clock.now() + timedelta(hours=3)
    inserts: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX"):
            inserts.append(statement)

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
    try:
        started = time.perf_counter()
        async with runtime.sessions() as session:
            broadcast = await session.get(Broadcast, bid)
            assert await broadcasts.confirm(session, broadcast, runtime.clock.now(), at) == 10_000
            await session.commit()
        took = time.perf_counter() - started
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", count)
    assert len(inserts) == 10_000 // broadcasts.CHUNK
    assert took < 10, f"expanding 10,000 took {took:.1f} s"  # 0.7 s here (SQLite)
    async with runtime.sessions() as session:
        assert (await session.get(Broadcast, bid)).state == SCHEDULED
        by_text = dict(
            (
                await session.execute(
                    select(OutboxMessage.text, func.count())
                    .where(OutboxMessage.broadcast_id == bid, OutboxMessage.not_before == at)
                    .group_by(OutboxMessage.text)
                )
            ).all()
        )
    assert by_text == {"مرحبا": 2500, "Привіт": 7500}  # Arabic, and the fallback for the rest


async def test_counts_advance_and_cancel(runtime: Runtime) -> None:
    await _world(runtime)
    bid = await _draft(runtime, HOPE, Audience(EVERYONE), {"en": "Hello"})
    async with runtime.sessions() as session:
        broadcast = await session.get(Broadcast, bid)
        await broadcasts.confirm(session, broadcast, runtime.clock.now())
        await session.commit()

    async def mark(user_ids: list[int], state: str) -> None:
        async with runtime.sessions() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.broadcast_id == bid, OutboxMessage.user_id.in_(user_ids))
                .values(state=state)
            )
            await session.commit()

    await mark([101, 102], outbox.SENT)
    await mark([103], outbox.UNREACHABLE)
    await mark([104], outbox.FAILED)
    await mark([105], outbox.SENDING)
    async with runtime.sessions() as session:
        [progress] = await broadcasts.advance(session, runtime.clock.now())
        await session.commit()
    assert progress.counts == Counts(sent=2, waiting=2, unreachable=1, failed=1)
    assert progress.state == SENDING and not progress.finished_now

    async with runtime.sessions() as session:
        broadcast = await session.get(Broadcast, bid)
        assert await broadcasts.cancel(session, broadcast, runtime.clock.now()) == 1  # 106
        await session.commit()
    rows = await _outbox(runtime, bid)
    assert rows[106].state == outbox.CANCELLED and rows[105].state == outbox.SENDING
    async with runtime.sessions() as session:
        assert await broadcasts.advance(session, runtime.clock.now()) == []  # cancelled
        broadcast = await session.get(Broadcast, bid)
        assert broadcast.state == CANCELLED
        progress = await broadcasts.progress(session, broadcast)
    assert progress.counts == Counts(sent=2, waiting=1, unreachable=1, failed=1, cancelled=1)


async def test_a_broadcast_is_done_once_nothing_waits_and_says_so_once(runtime: Runtime) -> None:
    await _world(runtime)
    bid = await _draft(runtime, DAWN, Audience(EVERYONE), {"en": "Hello"})
    at = runtime.clock.now() + timedelta(hours=1)
    async with runtime.sessions() as session:
        broadcast = await session.get(Broadcast, bid)
        await broadcasts.confirm(session, broadcast, runtime.clock.now(), at)
        [progress] = await broadcasts.advance(session, runtime.clock.now())
        assert progress.state == SCHEDULED
        await session.commit()
    runtime.clock.advance(timedelta(hours=1))
    async with runtime.sessions() as session:
        [progress] = await broadcasts.advance(session, runtime.clock.now())
        assert progress.state == SENDING
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.broadcast_id == bid).values(state="sent")
        )
        [progress] = await broadcasts.advance(session, runtime.clock.now())
        assert (progress.state, progress.finished_now, progress.counts.sent) == (DONE, True, 2)
        assert progress.author_locale == "en"
        assert await broadcasts.advance(session, runtime.clock.now()) == []
        await session.commit()
