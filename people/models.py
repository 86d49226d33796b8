"""People and organisations: users, partner organisations, cohorts and invites."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    SmallInteger,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from core.crypto import EncryptedText
from core.dbtypes import UTCDateTime


class Role(StrEnum):
    MEMBER = "member"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class Organisation(SQLModel, table=True):
    __tablename__ = "organisations"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Cohort(SQLModel, table=True):
    __tablename__ = "cohorts"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    name: str = Field(max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime)
    country: str | None = Field(default=None, max_length=2)  # ISO 3166 alpha-2: the wage floor
    time_zone: str | None = Field(default=None, max_length=40)  # IANA name: its members' default


class User(SQLModel, table=True):
    """A person who accepted the consent message; nothing is stored about anyone before that."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('member', 'coordinator', 'admin')", name="role_known"),
        CheckConstraint(
            "role <> 'coordinator' OR organisation_id IS NOT NULL",
            name="coordinator_has_organisation",
        ),
        CheckConstraint(
            "quiet_from BETWEEN 0 AND 23 AND quiet_until BETWEEN 0 AND 23",
            name="quiet_hours_in_day",
        ),
    )

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    locale: str = Field(max_length=8)
    role: str = Field(default=Role.MEMBER, max_length=16)
    cohort_id: int | None = Field(default=None, foreign_key="cohorts.id", index=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisations.id")
    display_name: str | None = Field(default=None, sa_type=EncryptedText(512))
    consented_at: datetime = Field(sa_type=UTCDateTime)
    # Set when Telegram said the person blocked the bot (403, or a my_chat_member "kicked"):
    # nothing is sent to them until they unblock it.
    unreachable_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Where and when the person is: an IANA zone (None: the group's, else the deployment's), and
    # the local hours (from, until) when no reminder is sent.
    time_zone: str | None = Field(default=None, max_length=40)
    quiet_from: int = Field(
        default=21, sa_column=Column(SmallInteger, nullable=False, server_default="21")
    )
    quiet_until: int = Field(
        default=8, sa_column=Column(SmallInteger, nullable=False, server_default="8")
    )


class ReminderOff(SQLModel, table=True):
    """A kind of reminder the person switched off in Settings (lesson, quiz, work, payout)."""

    __tablename__ = "reminders_off"
    __table_args__ = (
        CheckConstraint("kind IN ('lesson', 'quiz', 'work', 'payout')", name="kind_known"),
    )

    user_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    kind: str = Field(primary_key=True, max_length=16)


class Invite(SQLModel, table=True):
    __tablename__ = "invites"
    __table_args__ = (
        CheckConstraint("uses >= 0", name="uses_not_negative"),
        CheckConstraint("max_uses IS NULL OR max_uses > 0", name="max_uses_positive"),
        CheckConstraint("max_uses IS NULL OR uses <= max_uses", name="uses_within_limit"),
    )

    code: str = Field(primary_key=True, max_length=32)
    cohort_id: int = Field(sa_column=Column(ForeignKey("cohorts.id"), nullable=False, index=True))
    created_by: int = Field(sa_column=Column(BigInteger, ForeignKey("users.id"), nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)
    uses: int = Field(default=0)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    max_uses: int | None = Field(default=None)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuditEntry(SQLModel, table=True):
    """Who did what to which object, when: every coordinator and admin action. Never edited."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    action: str = Field(max_length=40)
    object: str = Field(max_length=120)
    detail: str | None = Field(default=None, max_length=400)
