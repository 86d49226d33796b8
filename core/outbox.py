"""The outbox: every message the bot sends on its own is first a row here.

A reminder, a payout notice, a broadcast, a notice to a coordinator: the code that decides to
send it writes a row in the same transaction as the change that caused it (`enqueue`), and one
sender drains the table within Telegram's limits. Replies in a conversation are not here; they
go straight back to the person who tapped.

`(kind, dedup_key)` is unique: a job that runs twice, or an update handled twice, writes its
message once. Rows without a dedup key are never deduplicated. A lower `priority` goes first.
Nothing here commits.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel

from core.dbtypes import UTCDateTime

WAITING = "waiting"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"  # kept failing: parked with its error, not retried
UNREACHABLE = "unreachable"  # the person blocked the bot
CANCELLED = "cancelled"
STATES = (WAITING, SENDING, SENT, FAILED, UNREACHABLE, CANCELLED)

# Lower goes first: a notice about someone's own money or work before a broadcast.
NOTICE_PRIORITY = 0
REMINDER_PRIORITY = 5
BROADCAST_PRIORITY = 10


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("kind", "dedup_key"),
        CheckConstraint(
            "state IN ('waiting', 'sending', 'sent', 'failed', 'unreachable', 'cancelled')",
            name="state_known",
        ),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("outbox_due", "state", "priority", "not_before", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    user_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True),
    )
    kind: str = Field(max_length=32)
    dedup_key: str | None = Field(default=None, max_length=128)
    priority: int = Field(default=NOTICE_PRIORITY)
    text: str = Field(sa_column=Column(Text, nullable=False))
    photo: str | None = Field(default=None, max_length=256)  # a Telegram file_id
    reply_markup: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    broadcast_id: int | None = Field(default=None, index=True)
    state: str = Field(default=WAITING, max_length=16)
    not_before: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    attempts: int = Field(default=0)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    telegram_message_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    error: str | None = Field(default=None, max_length=200)


async def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    kind: str,
    text: str,
    now: datetime,
    user_id: int | None = None,
    dedup_key: str | None = None,
    not_before: datetime | None = None,
    priority: int = NOTICE_PRIORITY,
    photo: str | None = None,
    reply_markup: dict[str, Any] | None = None,
    broadcast_id: int | None = None,
) -> OutboxMessage | None:
    """Add a message to send; None when (kind, dedup_key) is already there."""
    message = OutboxMessage(
        chat_id=chat_id,
        user_id=user_id,
        kind=kind,
        dedup_key=dedup_key,
        priority=priority,
        text=text,
        photo=photo,
        reply_markup=reply_markup,
        broadcast_id=broadcast_id,
        not_before=not_before or now,
        created_at=now,
    )
    if dedup_key is None:
        session.add(message)
        await session.flush()
    else:
        try:
            async with session.begin_nested():
                session.add(message)
        except IntegrityError:
            return None
    rows_queued(session)
    return message


def rows_queued(session: AsyncSession) -> None:
    """Rows were written to the outbox in this transaction: its commit wakes the sender."""
    session.sync_session.info[_QUEUED] = True


_QUEUED = "outbox_queued"
_listeners: weakref.WeakKeyDictionary[Engine, list[Callable[[], None]]] = (
    weakref.WeakKeyDictionary()
)


def on_commit(engine: AsyncEngine, listener: Callable[[], None]) -> Callable[[], None]:
    """Call `listener` each time a transaction that enqueued rows commits on `engine` (the sender
    looks at once instead of at its next poll); returns the call that stops it."""
    listeners = _listeners.setdefault(engine.sync_engine, [])
    listeners.append(listener)
    return lambda: listeners.remove(listener)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_QUEUED, False) and isinstance(session.bind, Engine):
        for listener in tuple(_listeners.get(session.bind, ())):
            listener()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_QUEUED, None)
