"""Learning state: where each trainee is, quiz answers and attempts, skills, certificates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.dbtypes import UTCDateTime


def _user_fk(primary_key: bool = False) -> Column:
    return Column(
        BigInteger,
        ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
        index=not primary_key,
    )


class CourseProgress(SQLModel, table=True):
    """One row a trainee and course, saved at every step so a dropped connection loses nothing."""

    __tablename__ = "course_progress"
    __table_args__ = (
        CheckConstraint("stage IN ('lesson', 'quiz', 'passed')", name="stage_known"),
        CheckConstraint("page >= 0 AND question >= 0 AND practice_item >= 0", name="positions"),
    )

    user_id: int = Field(sa_column=_user_fk(primary_key=True))
    course_id: str = Field(primary_key=True, max_length=40)
    stage: str = Field(default="lesson", max_length=8)
    page: int = Field(default=0)
    furthest_page: int = Field(default=0)
    question: int = Field(default=0)
    attempt: int = Field(default=0)
    practice_item: int = Field(default=0)
    started_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class QuizAnswer(SQLModel, table=True):
    __tablename__ = "quiz_answers"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "attempt", "question_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=_user_fk())
    course_id: str = Field(max_length=40)
    attempt: int
    question_id: str = Field(max_length=40)
    option_id: str = Field(max_length=40)
    correct: bool
    answered_at: datetime = Field(sa_type=UTCDateTime)


class QuizAttempt(SQLModel, table=True):
    """A finished quiz attempt with its score."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id", "attempt"),
        CheckConstraint("score >= 0 AND score <= total", name="score_in_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=_user_fk())
    course_id: str = Field(max_length=40)
    attempt: int
    score: int
    total: int
    passed: bool
    finished_at: datetime = Field(sa_type=UTCDateTime)


class UserSkill(SQLModel, table=True):
    """A skill is granted once: the primary key makes a second grant impossible."""

    __tablename__ = "user_skills"

    user_id: int = Field(sa_column=_user_fk(primary_key=True))
    skill: str = Field(primary_key=True, max_length=40)
    course_id: str = Field(max_length=40)
    granted_at: datetime = Field(sa_type=UTCDateTime)


class Certificate(SQLModel, table=True):
    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    code: str = Field(primary_key=True, max_length=16)
    user_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    course_id: str = Field(max_length=40)
    name: str = Field(max_length=64)
    locale: str = Field(max_length=8)
    issued_at: datetime = Field(sa_type=UTCDateTime)


class PracticeAnswer(SQLModel, table=True):
    """A practice answer is recorded once per item and trainee."""

    __tablename__ = "practice_answers"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=_user_fk())
    course_id: str = Field(max_length=40)
    item_id: str = Field(max_length=40)
    label: str = Field(max_length=40)
    correct: bool
    answered_at: datetime = Field(sa_type=UTCDateTime)
