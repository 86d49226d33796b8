"""Your data: everything held about one person, exported or erased, found through the schema.

The tables are read from the SQLAlchemy metadata, not listed by hand: every column that refers
to users.id is covered, so a new table that holds something about a person is exported and
erased without a change here. A few tables name a person without a foreign key; they are listed
in `OTHER_REFERENCES` (and the FSM storage by its key). Tables that hold nothing about a person
are listed in `NO_PERSONAL_DATA`, so a test can require every table to be one or the other.

Erasure deletes every row about the person, except what accounting needs: rows whose reference
to users.id is ON DELETE SET NULL (ledger entries, certificates) are kept without it, and their
encrypted name columns are emptied. Entries in the audit log of actions the person took as a
coordinator or admin are kept, for accountability over other people's data.

So that a coordinator's figures stay the same, the rows they count (`FIGURES`) of a person in a
group are first copied to a stand-in: a new member of the same group with an id no Telegram
account can have (below -2**53; Telegram ids have at most 52 significant bits), no name, a
neutral language, where they were in a lesson forgotten and every moment rounded down to its day.
Nothing links the stand-in to the person, so it is not theirs to export or erase.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, MetaData, Table, delete, insert, select, update
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
    "work_projects": "labelling projects",
    "work_images": "the pictures of labelling items",
}


# The rows coordinators' figures count, copied to a stand-in on erasure: table -> columns reset.
FIGURES: dict[str, dict[str, Any]] = {
    "course_progress": {
        "lesson_id": None,
        "page": 0,
        "legacy_page": None,
        "legacy_furthest_page": None,
    },
    "quiz_attempts": {},
}
# Every stand-in's id is below this; every Telegram id, a person's or a group's, is above it.
STAND_IN_BELOW = -(2**53)
STAND_IN_LOCALE = "en"


def is_stand_in(user_id: int) -> bool:
    return user_id < STAND_IN_BELOW


class ErasureRefused(Exception):
    """A coordinator or admin must give up the role before their data can be erased."""


@dataclass(frozen=True)
class Erased:
    """What an erasure kept: payment rows and certificates without the person's name or id, audit
    entries of actions the person took with a role, and the rows of the group's figures handed to
    a stand-in."""

    payments_kept: int
    certificates_kept: int
    audit_entries_kept: int
    figures_kept: int = 0


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


def _day(value: datetime) -> datetime:
    return value.replace(hour=0, minute=0, second=0, microsecond=0)


def _user_column(table: Table) -> Column[Any]:
    [column] = [c for c in table.columns if _refers_to_users(c)]
    return column


async def _new_stand_in_id(session: AsyncSession) -> int:
    while True:
        candidate = STAND_IN_BELOW - 1 - secrets.randbelow(2**62)
        if await session.get(User, candidate) is None:
            return candidate


async def _hand_figures_to_stand_in(session: AsyncSession, user: User, metadata: MetaData) -> int:
    """Copy the rows the figures count to a new stand-in in the person's group; how many."""
    assert user.cohort_id is not None
    copies: list[tuple[Table, list[dict[str, Any]]]] = []
    for name, reset in FIGURES.items():
        table = metadata.tables[name]
        column = _user_column(table)
        rows = (await session.execute(select(table).where(column == user.id))).mappings().all()
        keys = list(table.primary_key.columns)
        surrogate = {keys[0].name} if len(keys) == 1 and keys[0] is not column else set()
        values = [
            {
                key: _day(value) if isinstance(value, datetime) else value
                for key, value in row.items()
                if key not in surrogate
            }
            | reset
            for row in rows
        ]
        if values:
            copies.append((table, values))
    if not copies:
        return 0
    stand_in = User(
        id=await _new_stand_in_id(session),
        locale=STAND_IN_LOCALE,
        role=Role.MEMBER,
        cohort_id=user.cohort_id,
        consented_at=_day(user.consented_at),
    )
    session.add(stand_in)
    await session.flush()
    for table, values in copies:
        column = _user_column(table)
        await session.execute(insert(table), [{**row, column.name: stand_in.id} for row in values])
    return sum(len(values) for _, values in copies)


async def erase(session: AsyncSession, user_id: int, metadata: MetaData) -> Erased:
    """Erase the person: every row about them, but what `Erased` says is kept."""
    user = await session.get(User, user_id)
    if user is not None and user.role in (Role.COORDINATOR, Role.ADMIN):
        raise ErasureRefused(user.role)
    kept: dict[str, int] = {}
    if user is not None and user.cohort_id is not None:
        kept["figures"] = await _hand_figures_to_stand_in(session, user, metadata)
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
        payments_kept=kept.get("ledger_entries", 0),
        certificates_kept=kept.get("certificates", 0),
        audit_entries_kept=kept.get("audit_log", 0),
        figures_kept=kept.get("figures", 0),
    )
