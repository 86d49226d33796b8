"""Learning state: where each trainee is, quiz answers and attempts, skills, certificates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from core.crypto import EncryptedText
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
    """One row a trainee and course: the stage, the page being read and the quiz attempt.

    The page is named by its lesson id and its number within that lesson, so editing the course
    (lessons, questions or items added, removed or reordered) strands no one. Which question or
    practice item comes next is not stored: it is the first one without an answer.
    `legacy_page` and `legacy_furthest_page` hold the flat positions of rows written before
    migration 0004; they are read through the course as it is now and cleared at the next move.
    """

    __tablename__ = "course_progress"
    __table_args__ = (
        CheckConstraint("stage IN ('lesson', 'quiz', 'passed')", name="stage_known"),
        CheckConstraint(
            "(lesson_id IS NULL AND page = 0) OR (lesson_id IS NOT NULL AND page >= 1)",
            name="place",
        ),
        CheckConstraint("attempt >= 0", name="attempt_count"),
    )

    user_id: int = Field(sa_column=_user_fk(primary_key=True))
    course_id: str = Field(primary_key=True, max_length=40)
    stage: str = Field(default="lesson", max_length=8)
    lesson_id: str | None = Field(default=None, max_length=40)  # None: past the last lesson
    page: int = Field(default=0)  # 1-based within the lesson; 0 past the last lesson
    attempt: int = Field(default=0)
    legacy_page: int | None = Field(default=None)
    legacy_furthest_page: int | None = Field(default=None)
    started_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LessonRead(SQLModel, table=True):
    """A lesson the trainee has read to its last page (by id: survives edits of the course)."""

    __tablename__ = "lessons_read"

    user_id: int = Field(sa_column=_user_fk(primary_key=True))
    course_id: str = Field(primary_key=True, max_length=40)
    lesson_id: str = Field(primary_key=True, max_length=40)
    read_at: datetime = Field(sa_type=UTCDateTime)


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
    """A certificate, verifiable by its code. A name corrected later gives a new certificate;
    the old one stays verifiable and names its replacement (`replaced_by`). One current
    (not replaced) certificate per trainee and course."""

    __tablename__ = "certificates"
    __table_args__ = (
        Index(
            "uq_certificates_current",
            "user_id",
            "course_id",
            unique=True,
            sqlite_where=text("replaced_by IS NULL"),
            postgresql_where=text("replaced_by IS NULL"),
        ),
    )

    code: str = Field(primary_key=True, max_length=16)
    user_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    course_id: str = Field(max_length=40)
    name: str = Field(sa_type=EncryptedText(512))
    locale: str = Field(max_length=8)
    issued_at: datetime = Field(sa_type=UTCDateTime)
    replaced_by: str | None = Field(default=None, max_length=16)


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
