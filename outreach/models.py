"""A broadcast: who it is for, what it says in each language, when it goes, how far it got."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, ForeignKey
from sqlmodel import Field, SQLModel

from core.dbtypes import UTCDateTime

DRAFT = "draft"  # being written
SCHEDULED = "scheduled"  # its messages wait in the outbox for their time
SENDING = "sending"
DONE = "done"  # nothing waits any more
CANCELLED = "cancelled"
STATES = (DRAFT, SCHEDULED, SENDING, DONE, CANCELLED)
RUNNING = (SCHEDULED, SENDING)


class Broadcast(SQLModel, table=True):
    """`organisation_id` is the reach: a coordinator's organisation, or None (an admin's: every
    organisation). `texts` maps a locale to its text; people whose language has no text get
    `texts[fallback_locale]`. The status message is the one the author watches the count in,
    in their private chat with the bot (whose id is theirs)."""

    __tablename__ = "broadcasts"
    __table_args__ = (
        CheckConstraint(
            "state IN ('draft', 'scheduled', 'sending', 'done', 'cancelled')", name="state_known"
        ),
        CheckConstraint("recipients >= 0", name="recipients_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    author_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    organisation_id: int | None = Field(default=None, foreign_key="organisations.id", index=True)
    audience: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    texts: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    fallback_locale: str | None = Field(default=None, max_length=8)
    photo: str | None = Field(default=None, max_length=256)  # a Telegram file_id
    scheduled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    state: str = Field(default=DRAFT, max_length=16, index=True)
    recipients: int = Field(default=0)  # outbox rows written for it
    created_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status_message_id: int | None = Field(default=None, sa_column=Column(BigInteger))
