"""The models and the migrations describe the same schema: Alembic's autogenerate, run against a
database migrated to head, finds nothing to add, drop or alter."""

from __future__ import annotations

import pprint
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import bot.schema  # noqa: F401 - registers every table on SQLModel.metadata
from core import db


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, SQLModel.metadata)


async def test_migrated_database_matches_the_models(database_url: str) -> None:
    await db.upgrade(database_url)  # the fixture's copy is at head already; this is a no-op
    engine = db.create_engine(database_url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(_diff)
    finally:
        await engine.dispose()
    assert diff == [], "models and migrations differ:\n" + pprint.pformat(diff)
