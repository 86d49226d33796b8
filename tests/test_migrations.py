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
