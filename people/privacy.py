"""Your data: everything held about one person, exported or erased, found through the schema.

The tables are read from the SQLAlchemy metadata, not listed by hand: every column that refers
to users.id is covered, so a new table that holds something about a person is exported and
erased without a change here. A few tables name a person without a foreign key; they are listed
in `OTHER_REFERENCES` (and the FSM storage by its key). Tables that hold nothing about a person
are listed in `NO_PERSONAL_DATA`, so a test can require every table to be one or the other.

Erasure deletes every row about the person, except what accounting needs: rows whose reference
to users.id is ON DELETE SET NULL (money owed, certificates) are kept without it, and their
encrypted name columns are emptied. Entries in the audit log of actions the person took as a
coordinator or admin are kept, for accountability over other people's data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, MetaData, Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.crypto import EncryptedText
from people.models import Role, User

USERS = "users"
FSM_TABLE = "fsm_states"
# Tables that name a person without a foreign key to users.id: table -> column.
OTHER_REFERENCES = {
    "inbox_updates": "chat_id",  # a private chat's id is the person's id
    "audit_log": "actor_id",
}
# Tables kept as they are by an erasure, and why (shown to the person).
KEPT_AS_IS = {"audit_log"}
NO_PERSONAL_DATA = {
    "organisations": "partner organisations",
    "cohorts": "groups of an organisation",
    "media_files": "Telegram file ids of the bot's own images",
}


class ErasureRefused(Exception):
    """A coordinator or admin must give up the role before their data can be erased."""


@dataclass(frozen=True)
class Erased:
    """What an erasure kept: payment rows and certificates without the person's name or id, and
    audit entries of actions the person took with a role."""

    payments_kept: int
    certificates_kept: int
    audit_entries_kept: int


def _refers_to_users(column: Column[Any]) -> bool:
    return any(
        fk.column.table.name == USERS and fk.column.name == "id" for fk in column.foreign_keys
    )


def person_columns(metadata: MetaData) -> list[tuple[Table, Column[Any]]]:
    """Every (table, column) that holds a person's id, dependents first, users last."""
    found: list[tuple[Table, Column[Any]]] = []
    for table in reversed(metadata.sorted_tables):
        if table.name == USERS:
            continue
        for column in table.columns:
            if _refers_to_users(column) or OTHER_REFERENCES.get(table.name) == column.name:
                found.append((table, column))
    users = metadata.tables[USERS]
    return [*found, (users, users.c.id)]


def _fsm_key_names(key: str, user_id: int) -> bool:
    # aiogram's key: fsm:<chat id>[:<thread id>]:<user id>:<destiny>
    return str(user_id) in key.split(":")[1:-1]


async def _fsm_rows(session: AsyncSession, table: Table, user_id: int) -> list[Any]:
    rows = await session.execute(select(table).where(table.c.key.contains(str(user_id))))
    return [row for row in rows.mappings() if _fsm_key_names(row["key"], user_id)]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def covered_tables(metadata: MetaData) -> set[str]:
    """The tables an export reads."""
    names = {table.name for table, _ in person_columns(metadata)}
    return names | ({FSM_TABLE} if FSM_TABLE in metadata.tables else set())


async def export(
    session: AsyncSession, user_id: int, metadata: MetaData, clock: Clock
) -> dict[str, Any]:
    """Everything held about the person: for each table, its rows that name them."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for table, column in person_columns(metadata):
        rows = await session.execute(select(table).where(column == user_id))
        found = [{k: _plain(v) for k, v in row.items()} for row in rows.mappings()]
        tables.setdefault(table.name, []).extend(found)
    if FSM_TABLE in metadata.tables:
        rows = await _fsm_rows(session, metadata.tables[FSM_TABLE], user_id)
        tables[FSM_TABLE] = [{k: _plain(v) for k, v in row.items()} for row in rows]
    return {
        "user_id": user_id,
        "exported_at": clock.now().isoformat(),
        "tables": dict(sorted(tables.items())),
    }


def export_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def _kept_without_person(column: Column[Any]) -> bool:
    return any(fk.ondelete == "SET NULL" for fk in column.foreign_keys)


async def erase(session: AsyncSession, user_id: int, metadata: MetaData) -> Erased:
    """Erase the person: every row about them, but what `Erased` says is kept."""
    user = await session.get(User, user_id)
    if user is not None and user.role in (Role.COORDINATOR, Role.ADMIN):
        raise ErasureRefused(user.role)
    kept: dict[str, int] = {}
    for table, column in person_columns(metadata):
        if table.name in KEPT_AS_IS:
            rows = await session.execute(select(column).where(column == user_id))
            kept[table.name] = len(rows.all())
            continue
        if table.name in OTHER_REFERENCES or _kept_without_person(column):
            blanks = {
                c.name: (None if c.nullable else "")
                for c in table.columns
                if isinstance(c.type, EncryptedText)
            }
            result = await session.execute(
                update(table).where(column == user_id).values({column.name: None, **blanks})
            )
            kept[table.name] = kept.get(table.name, 0) + (result.rowcount or 0)
            continue
        await session.execute(delete(table).where(column == user_id))
    if FSM_TABLE in metadata.tables:
        table = metadata.tables[FSM_TABLE]
        for row in await _fsm_rows(session, table, user_id):
            await session.execute(delete(table).where(table.c.key == row["key"]))
    session.expunge_all()  # rows loaded earlier in this update no longer exist
    return Erased(
        payments_kept=kept.get("money_owed", 0),
        certificates_kept=kept.get("certificates", 0),
        audit_entries_kept=kept.get("audit_log", 0),
    )
