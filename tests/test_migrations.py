"""Alembic takes an empty database to head and back, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import inspect

from core import db
from tests.conftest import TEST_DATABASE_URL, _create_database, _drop_database


async def _tables(url: str) -> set[str]:
    engine = db.create_engine(url)
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


async def _round_trip(url: str) -> None:
    await db.upgrade(url)
    assert {"users", "cohorts", "organisations", "invites"} <= await _tables(url)
    await db.downgrade(url, "base")
    assert await _tables(url) == set()
    await db.upgrade(url)
    assert "users" in await _tables(url)


async def test_sqlite_upgrade_downgrade_upgrade(tmp_path: Path) -> None:
    await _round_trip(f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}")


async def test_postgres_upgrade_downgrade_upgrade() -> None:
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    name = f"rafiq_migrate_{uuid.uuid4().hex[:10]}"
    url = await _create_database(TEST_DATABASE_URL, name)
    try:
        await _round_trip(url)
    finally:
        await _drop_database(TEST_DATABASE_URL, name)


async def test_learning_migration_upgrades_a_foundation_database_with_people_in_it(
    tmp_path: Path,
) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import text

    url = f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}"
    await db.upgrade(url, "0001")
    engine = db.create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO users (id, locale, role, consented_at) "
                "VALUES (42, 'fa_AF', 'member', :now)"
            ),
            {"now": datetime(2026, 11, 1, tzinfo=UTC).replace(tzinfo=None)},
        )
    await db.upgrade(url)
    async with engine.connect() as connection:
        locale = (await connection.execute(text("SELECT locale FROM users WHERE id = 42"))).scalar()
        progress = (await connection.execute(text("SELECT count(*) FROM course_progress"))).scalar()
    await engine.dispose()
    assert locale == "fa_AF" and progress == 0


async def _progress_after_0004(url: str) -> tuple[list[tuple], set[str]]:
    """A trainee mid-lesson, one mid-quiz and one passed at 0003, then upgraded to head."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    await db.upgrade(url, "0003")
    now = datetime(2026, 11, 1, tzinfo=UTC).replace(tzinfo=None)
    engine = db.create_engine(url)
    async with engine.begin() as connection:
        for user_id in (1, 2, 3):
            await connection.execute(
                text(
                    "INSERT INTO users (id, locale, role, consented_at) "
                    "VALUES (:id, 'en', 'member', :now)"
                ),
                {"id": user_id, "now": now},
            )
        for user_id, stage, page, furthest, question, attempt, item in (
            (1, "lesson", 4, 7, 0, 0, 2),
            (2, "quiz", 20, 20, 3, 1, 0),
            (3, "passed", 20, 20, 0, 1, 8),
        ):
            await connection.execute(
                text(
                    "INSERT INTO course_progress (user_id, course_id, stage, page, furthest_page, "
                    "question, attempt, practice_item, started_at, updated_at) VALUES "
                    "(:user, 'annotation-basics', :stage, :page, :furthest, :question, :attempt, "
                    ":item, :now, :now)"
                ),
                {
                    "user": user_id,
                    "stage": stage,
                    "page": page,
                    "furthest": furthest,
                    "question": question,
                    "attempt": attempt,
                    "item": item,
                    "now": now,
                },
            )
    await engine.dispose()
    await db.upgrade(url)
    engine = db.create_engine(url)
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT user_id, stage, lesson_id, page, attempt, legacy_page, "
                    "legacy_furthest_page FROM course_progress ORDER BY user_id"
                )
            )
        ).all()
        columns = await connection.run_sync(
            lambda sync: {c["name"] for c in inspect(sync).get_columns("course_progress")}
        )
    await engine.dispose()
    return [tuple(row) for row in rows], columns


EXPECTED_0004 = [
    (1, "lesson", None, 0, 0, 4, 7),
    (2, "quiz", None, 0, 1, 20, 20),
    (3, "passed", None, 0, 1, 20, 20),
]


async def test_0004_keeps_old_positions_for_the_bot_to_read(tmp_path: Path) -> None:
    rows, columns = await _progress_after_0004(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    assert rows == EXPECTED_0004
    assert not {"furthest_page", "question", "practice_item"} & columns


async def test_0004_on_postgres() -> None:
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    name = f"rafiq_migrate_{uuid.uuid4().hex[:10]}"
    url = await _create_database(TEST_DATABASE_URL, name)
    try:
        rows, columns = await _progress_after_0004(url)
    finally:
        await _drop_database(TEST_DATABASE_URL, name)
    assert rows == EXPECTED_0004
    assert not {"furthest_page", "question", "practice_item"} & columns


OWED = [  # (id, user, amount, currency, kind, source key): practice pay and work pay before 0009
    (1, 7, 5, "USD", "practice", "practice-answer:1"),
    (2, 7, 5, "USD", "practice", "practice-answer:2"),
    (3, 8, 120, "AFN", "practice", "practice-answer:3"),
    (4, 8, 3, "USD", "work", "work-answer:9"),
]


async def _ledger_after_0009(url: str) -> tuple[list[tuple], list[tuple], set[str]]:
    """money_owed rows at 0008, upgraded to head: the credits, and the rows after a downgrade."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    await db.upgrade(url, "0008")
    now = datetime(2026, 11, 1, tzinfo=UTC).replace(tzinfo=None)
    engine = db.create_engine(url)
    async with engine.begin() as connection:
        for user_id in (7, 8):
            await connection.execute(
                text(
                    "INSERT INTO users (id, locale, role, consented_at) "
                    "VALUES (:id, 'ar', 'member', :now)"
                ),
                {"id": user_id, "now": now},
            )
        for id_, user, amount, currency, kind, key in OWED:
            await connection.execute(
                text(
                    "INSERT INTO money_owed (id, user_id, amount_minor, currency, kind, "
                    "source_key, created_at) VALUES (:id, :user, :amount, :currency, :kind, "
                    ":key, :now)"
                ),
                dict(
                    id=id_, user=user, amount=amount, currency=currency, kind=kind, key=key, now=now
                ),
            )
    await engine.dispose()
    await db.upgrade(url)
    engine = db.create_engine(url)
    async with engine.connect() as connection:
        credits = (
            await connection.execute(
                text(
                    "SELECT user_id, amount_minor, currency, kind, source_key, from_account, "
                    "to_account, created_at, release_at FROM ledger_entries ORDER BY id"
                )
            )
        ).all()
        tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    await db.downgrade(url, "0008")
    engine = db.create_engine(url)
    async with engine.connect() as connection:
        back = (
            await connection.execute(
                text(
                    "SELECT user_id, amount_minor, currency, kind, source_key FROM money_owed "
                    "ORDER BY id"
                )
            )
        ).all()
    await engine.dispose()
    return [tuple(row) for row in credits], [tuple(row) for row in back], tables


def _check_ledger_after_0009(credits: list[tuple], back: list[tuple], tables: set[str]) -> None:
    from datetime import UTC, datetime

    def moment(value: object) -> datetime:  # SQLite hands back text, PostgreSQL a datetime
        found = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)

    earned = datetime(2026, 11, 1, tzinfo=UTC)
    assert [row[:5] for row in credits] == [
        (7, 5, "USD", "practice", "practice-answer:1"),
        (7, 5, "USD", "practice", "practice-answer:2"),
        (8, 120, "AFN", "practice", "practice-answer:3"),
        (8, 3, "USD", "answer", "work-answer:9"),
    ]
    assert [row[5:7] for row in credits] == [
        ("platform:training_expense", "available"),
        ("platform:training_expense", "available"),
        ("platform:training_expense", "available"),
        ("platform:work_expense", "pending"),
    ]
    assert all(moment(row[7]) == earned for row in credits)
    assert [row[8] and moment(row[8]) for row in credits] == [
        None,
        None,
        None,
        earned.replace(day=4),
    ]
    # every cent: per person and currency, the ledger holds what money_owed held
    assert sum(row[1] for row in credits) == sum(row[2] for row in OWED)
    assert "money_owed" not in tables
    assert back == [
        (user, amount, currency, kind, key) for _, user, amount, currency, kind, key in OWED
    ]


async def test_0009_moves_every_amount_owed_into_the_ledger(tmp_path: Path) -> None:
    _check_ledger_after_0009(
        *await _ledger_after_0009(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    )


async def test_0009_on_postgres() -> None:
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    name = f"rafiq_migrate_{uuid.uuid4().hex[:10]}"
    url = await _create_database(TEST_DATABASE_URL, name)
    try:
        found = await _ledger_after_0009(url)
    finally:
        await _drop_database(TEST_DATABASE_URL, name)
    _check_ledger_after_0009(*found)
