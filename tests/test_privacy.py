"""Your data: the export covers every table that names a person, the erasure leaves nothing of
them but what accounting needs, and what the bot says it stores matches the tables."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlmodel import SQLModel

import bot.schema  # noqa: F401 - every table on the metadata
from bot.app import Runtime
from bot.fsm_storage import FsmState
from bot.inbox import InboxUpdate
from core.clock import ManualClock
from courses import figures
from courses.models import (
    Certificate,
    CourseProgress,
    LessonRead,
    PracticeAnswer,
    QuizAnswer,
    QuizAttempt,
    UserSkill,
)
from handlers.menu import help_text
from handlers.onboarding import consent_text
from people import privacy
from people.accounts import Member
from people.models import Cohort, Organisation, User
from tasks.models import LedgerEntry

ME, OTHER = 501, 502
NAMES = {ME: "Zarmina Haidari", OTHER: "Olena Bondar"}
NAME = NAMES[ME]
TYPED = {ME: "my sister's flat in Kabul", OTHER: "a room in Lviv"}
# What the English statements must name for each table that can hold something about a person.
STATEMENTS = {
    "users": ["Telegram id", "language", "group", "name"],
    "course_progress": ["course progress"],
    "lessons_read": ["course progress"],
    "quiz_answers": ["quiz"],
    "quiz_attempts": ["quiz"],
    "practice_answers": ["practice answers"],
    "user_skills": ["skills"],
    "certificates": ["certificates"],
    "ledger_entries": ["training pay", "work pay"],
    "work_assignments": ["work answers"],
    "work_standing": ["accuracy on control items"],
    "payout_methods": ["payout method"],
    "payouts": ["payouts"],
    "disputes": ["disputes"],
    "reminders_off": ["time zone and reminder settings"],
}
CONSENT_ONLY = {
    "fsm_states": ["a question the bot is waiting for you to answer"],
    "inbox_updates": ["messages you send the bot until they are handled"],
    "outbox": ["the messages the bot is due to send you"],
    "invites": ["invite links you create"],
    "broadcasts": ["the announcements you send"],
    "work_items": ["the items you settle"],
    "audit_log": ["a record of your actions"],
}


async def _person(runtime: Runtime, clock: ManualClock, user_id: int, cohort_id: int) -> None:
    now = clock.now()
    async with runtime.sessions() as session:
        session.add(
            User(
                id=user_id,
                locale="en",
                cohort_id=cohort_id,
                display_name=NAMES[user_id],
                consented_at=now,
            )
        )
        await session.flush()
        course = "working-on-platform"
        session.add_all(
            [
                CourseProgress(
                    user_id=user_id,
                    course_id=course,
                    stage="passed",
                    started_at=now,
                    updated_at=now,
                ),
                LessonRead(user_id=user_id, course_id=course, lesson_id="privacy", read_at=now),
                QuizAnswer(
                    user_id=user_id,
                    course_id=course,
                    attempt=1,
                    question_id="q4",
                    option_id="b",
                    correct=True,
                    answered_at=now,
                ),
                QuizAttempt(
                    user_id=user_id,
                    course_id=course,
                    attempt=1,
                    score=6,
                    total=6,
                    passed=True,
                    finished_at=now,
                ),
                UserSkill(
                    user_id=user_id, skill="platform-basics", course_id=course, granted_at=now
                ),
                Certificate(
                    code=f"RFQ-{user_id}",
                    user_id=user_id,
                    course_id=course,
                    name=NAMES[user_id],
                    locale="en",
                    issued_at=now,
                ),
                PracticeAnswer(
                    user_id=user_id,
                    course_id="image-labelling",
                    item_id="i1",
                    label="cat",
                    correct=True,
                    answered_at=now,
                ),
                LedgerEntry(
                    user_id=user_id,
                    from_account="platform:training_expense",
                    to_account="available",
                    amount_minor=5,
                    currency="USD",
                    kind="practice",
                    source_key=f"practice-answer:{user_id}",
                    created_at=now,
                ),
                FsmState(
                    key=f"fsm:{user_id}:{user_id}:default",
                    state="CertificateName:waiting",
                    data=f'{{"typed": "{TYPED[user_id]}"}}',
                    updated_at=now,
                ),
                InboxUpdate(
                    update_id=user_id * 10,
                    chat_id=user_id,
                    status="done",
                    received_at=now,
                    processed_at=now,
                ),
            ]
        )
        await session.commit()


async def _world(runtime: Runtime, clock: ManualClock) -> int:
    async with runtime.sessions() as session:
        organisation = Organisation(name="Hope NGO", created_at=clock.now())
        session.add(organisation)
        await session.flush()
        cohort = Cohort(organisation_id=organisation.id, name="Lviv", created_at=clock.now())
        session.add(cohort)
        await session.commit()
        assert organisation.id is not None and cohort.id is not None
        organisation_id, cohort_id = organisation.id, cohort.id
    await _person(runtime, clock, ME, cohort_id)
    await _person(runtime, clock, OTHER, cohort_id)
    return organisation_id


async def _rows_naming(runtime: Runtime, user_id: int) -> dict[str, list[tuple]]:
    """Every row of every table with the person's id, name or words in any column (names
    decrypted)."""
    found: dict[str, list[tuple]] = {}
    async with runtime.sessions() as session:
        for table in SQLModel.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                values = [str(v) for v in row]
                if any(
                    v == str(user_id)
                    or f":{user_id}:" in v
                    or NAMES[user_id] in v
                    or TYPED[user_id] in v
                    for v in values
                ):
                    found.setdefault(table.name, []).append(tuple(row))
    return found


def test_every_table_is_exported_or_said_to_hold_nothing_personal() -> None:
    covered = privacy.covered_tables(SQLModel.metadata)
    for table in SQLModel.metadata.sorted_tables:
        refers = any(
            fk.column.table.name == "users" for c in table.columns for fk in c.foreign_keys
        )
        if refers:
            assert table.name in covered, f"{table.name} refers to users.id but is not exported"
        assert (table.name in covered) != (table.name in privacy.NO_PERSONAL_DATA), table.name


async def test_export_holds_everything_and_erase_leaves_only_pseudonymous_rows(
    runtime: Runtime, clock: ManualClock
) -> None:
    organisation_id = await _world(runtime, clock)
    before = await _rows_naming(runtime, ME)
    async with runtime.sessions() as session:
        data = await privacy.export(session, ME, SQLModel.metadata, clock)
        stats_before = await figures.cohort_progress(session, organisation_id, runtime.library)
    exported = {name: rows for name, rows in data["tables"].items() if rows}
    assert set(exported) == set(before)  # every table holding something about them, no other
    for name, rows in before.items():
        assert len(exported[name]) == len(rows), name
    assert exported["users"][0]["display_name"] == NAME
    assert exported["certificates"][0]["name"] == NAME
    assert privacy.export_json(data).decode().count(NAME) == 2

    async with runtime.sessions() as session:
        erased = await privacy.erase(session, ME, SQLModel.metadata)
        await session.commit()
    assert erased == privacy.Erased(
        payments_kept=1, certificates_kept=1, audit_entries_kept=0, figures_kept=2
    )
    assert await _rows_naming(runtime, ME) == {}
    async with runtime.sessions() as session:
        money = (
            (await session.execute(select(LedgerEntry).order_by(LedgerEntry.id))).scalars().all()
        )
        assert [(m.user_id, m.amount_minor) for m in money] == [(None, 5), (OTHER, 5)]
        kept = await session.get(Certificate, f"RFQ-{ME}")
        assert kept is not None and kept.user_id is None and kept.name == ""
        assert (await privacy.export(session, ME, SQLModel.metadata, clock))["tables"] == {
            name: [] for name in data["tables"]
        }
        stats_after = await figures.cohort_progress(session, organisation_id, runtime.library)
        stand_ins = (await session.execute(select(User).where(User.id < 0))).scalars().all()
    # The coordinator's figures are the same: what they count was handed to a stand-in.
    [lviv_before] = stats_before
    assert (lviv_before.started, lviv_before.completed, lviv_before.passed_attempts) == (2, 2, 2)
    assert stats_after == stats_before
    [stand_in] = stand_ins
    assert privacy.is_stand_in(stand_in.id) and stand_in.id < -(2**52)  # no Telegram id is
    assert stand_in.display_name is None and stand_in.role == "member"
    assert stand_in.consented_at == clock.now().replace(hour=0)  # the day, not the moment
    stand_in_rows = await _rows_of(runtime, stand_in.id)
    assert set(stand_in_rows) == {"users", "course_progress", "quiz_attempts"}
    assert not any(
        value == clock.now() or value in (NAME, "privacy")
        for rows in stand_in_rows.values()
        for row in rows
        for value in row.values()
    )
    assert await _rows_naming(runtime, OTHER) != {}


async def _rows_of(runtime: Runtime, user_id: int) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    async with runtime.sessions() as session:
        for table, column in privacy.person_columns(SQLModel.metadata):
            rows = (await session.execute(select(table).where(column == user_id))).mappings()
            found.setdefault(table.name, []).extend(dict(row) for row in rows)
    return {name: rows for name, rows in found.items() if rows}


async def test_a_person_in_no_group_leaves_no_stand_in(
    runtime: Runtime, clock: ManualClock
) -> None:
    await _world(runtime, clock)
    async with runtime.sessions() as session:
        await session.execute(text("UPDATE users SET cohort_id = NULL WHERE id = :id"), {"id": ME})
        await session.commit()
    async with runtime.sessions() as session:
        erased = await privacy.erase(session, ME, SQLModel.metadata)
        await session.commit()
    assert erased.figures_kept == 0
    async with runtime.sessions() as session:
        users = (await session.execute(select(User.id))).scalars().all()
    assert users == [OTHER]
    assert await _rows_naming(runtime, ME) == {}


async def test_a_coordinator_is_not_erased_while_holding_the_role(
    runtime: Runtime, clock: ManualClock
) -> None:
    await _world(runtime, clock)
    async with runtime.sessions() as session:
        await session.execute(text("UPDATE users SET role = 'admin' WHERE id = :id"), {"id": ME})
        await session.commit()
    async with runtime.sessions() as session:
        try:
            await privacy.erase(session, ME, SQLModel.metadata)
        except privacy.ErasureRefused:
            pass
        else:
            raise AssertionError("an admin was erased")


def test_what_the_bot_says_it_stores_names_every_table() -> None:
    covered = privacy.covered_tables(SQLModel.metadata)
    assert covered == set(STATEMENTS) | set(CONSENT_ONLY)
    consent = consent_text()
    member = Member(
        id=1, locale="en", role="member", cohort_id=None, organisation_id=None, display_name=None
    )
    help_ = help_text(member)
    for table, phrases in STATEMENTS.items():
        for phrase in phrases:
            assert phrase in consent, (table, phrase)
            assert phrase in help_, (table, phrase)
    for table, phrases in CONSENT_ONLY.items():
        for phrase in phrases:
            assert phrase in consent, (table, phrase)
    for statement in (consent, help_):
        assert "/mydata" in statement and "/deleteme" in statement
