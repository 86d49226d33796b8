"""The inbox: every update is stored before Telegram is told it arrived, and marked done in the
same transaction as its effects, so each update_id is acted on exactly once.

Status moves pending -> done (or failed, after its transaction was rolled back). A done row keeps
no payload: the update's text is personal data, and the id alone is enough to refuse a
redelivery. Telegram keeps an update for 24 hours, so rows older than that can be pruned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.types import Update
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Text,
    bindparam,
    delete,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from core import db
from core.dbtypes import UTCDateTime

PENDING, DONE, FAILED = "pending", "done", "failed"


class InboxUpdate(SQLModel, table=True):
    __tablename__ = "inbox_updates"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'done', 'failed')", name="status_known"),
        CheckConstraint("status = 'pending' OR payload IS NULL", name="payload_only_pending"),
        Index("ix_inbox_updates_pending", "status", "update_id"),
    )

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    status: str = Field(default=PENDING, max_length=8)
    payload: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    received_at: datetime = Field(sa_type=UTCDateTime)
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, max_length=64)


@dataclass(frozen=True)
class Stored:
    update_id: int
    chat_id: int | None
    update: Update


def chat_of(update: Update) -> int | None:
    """The chat whose updates must be handled in order (the user's, for a callback query)."""
    event = update.event
    chat = getattr(event, "chat", None)
    if chat is not None:
        return chat.id
    message = getattr(event, "message", None)
    if message is not None and getattr(message, "chat", None) is not None:
        return message.chat.id
    user = getattr(event, "from_user", None)
    return user.id if user is not None else None


def _insert(session: AsyncSession):  # type: ignore[no-untyped-def]
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(InboxUpdate)


async def store(session: AsyncSession, updates: Sequence[Update], now: datetime) -> list[Stored]:
    """Store new updates as pending; an update_id seen before is left as it is. Returns the new
    ones, in order. The caller commits."""
    if not updates:
        return []
    rows = [
        {
            "update_id": update.update_id,
            "chat_id": chat_of(update),
            "status": PENDING,
            "payload": update.model_dump_json(exclude_unset=True),
            "received_at": now,
        }
        for update in updates
    ]
    statement = _insert(session).values(rows).on_conflict_do_nothing(index_elements=["update_id"])
    result = await session.execute(statement.returning(InboxUpdate.update_id))
    new = set(result.scalars())
    return [Stored(u.update_id, chat_of(u), u) for u in updates if u.update_id in new]


async def status_of(session: AsyncSession, update_id: int) -> str | None:
    return await session.scalar(
        select(InboxUpdate.status).where(InboxUpdate.update_id == update_id)
    )


_SETTLE = text(
    "INSERT INTO inbox_updates (update_id, chat_id, status, payload, received_at, processed_at,"
    " error) VALUES (:update_id, :chat_id, :status, NULL, :now, :now, :error)"
    " ON CONFLICT (update_id) DO UPDATE SET status = excluded.status, payload = NULL,"
    " processed_at = excluded.processed_at, error = excluded.error"
    " WHERE inbox_updates.status = 'pending'"
    " RETURNING update_id"
).bindparams(bindparam("now", type_=UTCDateTime()))


async def settle(
    session: AsyncSession,
    update_id: int,
    chat_id: int | None,
    now: datetime,
    status: str = DONE,
    error: str | None = None,
) -> bool:
    """Mark the update done (or failed) unless it already is; False means another delivery of
    it was acted on already. An update that never went through the inbox (fed to the dispatcher
    directly) gets its row here, so a second feed of it is refused too. (Plain SQL: this runs
    once per update, and SQLite and PostgreSQL share this upsert's syntax.)"""
    params = {
        "update_id": update_id,
        "chat_id": chat_id,
        "status": status,
        "now": now,
        "error": error,
    }
    return (await db.run(session, _SETTLE, params)).first() is not None


async def pending(
    session: AsyncSession, limit: int, after: int = -1, bot: Bot | None = None
) -> list[Stored]:
    """Pending updates in arrival order (update_id), oldest first."""
    rows = (
        await session.execute(
            select(InboxUpdate.update_id, InboxUpdate.chat_id, InboxUpdate.payload)
            .where(InboxUpdate.status == PENDING, InboxUpdate.update_id > after)
            .order_by(InboxUpdate.update_id)
            .limit(limit)
        )
    ).all()
    return [
        Stored(update_id, chat_id, Update.model_validate_json(payload, context={"bot": bot}))
        for update_id, chat_id, payload in rows
    ]


async def prune(session: AsyncSession, older_than: datetime) -> None:
    """Forget settled updates older than Telegram could redeliver."""
    await session.execute(
        delete(InboxUpdate).where(
            InboxUpdate.status != PENDING, InboxUpdate.received_at < older_than
        )
    )


REDELIVERY_WINDOW = timedelta(hours=48)
