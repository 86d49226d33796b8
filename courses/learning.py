"""Learning services: moving through pages, quizzes, skills, certificates and practice sets.

Every step is committed as it happens, so a dropped connection or a restart resumes exactly.
Callers pass the position they saw; a stale or forged position changes nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, case, cast, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from courses.content_model import Course, PracticeItem, Question
from courses.library import CourseLibrary, lessons_done
from courses.models import (
    Certificate,
    CourseProgress,
    PracticeAnswer,
    QuizAnswer,
    QuizAttempt,
    UserSkill,
)
from people.models import Cohort, User
from tasks.models import MoneyOwed

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class LearningError(Exception):
    """A step that is not possible now; `reason` names the rule."""

    def __init__(self, reason: str, until: datetime | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.until = until


@dataclass(frozen=True)
class State:
    course: Course
    stage: str  # "new", "lesson", "quiz" or "passed"
    page: int  # 0..page_count; page_count means every page is read and the quiz is next
    furthest_page: int
    question: int
    attempt: int
    practice_item: int

    @property
    def at_quiz_door(self) -> bool:
        return self.stage in ("lesson", "new") and self.page >= self.course.page_count

    @property
    def lessons_done(self) -> int:
        if self.stage == "passed":
            return len(self.course.lessons)
        return lessons_done(self.course, self.furthest_page)

    @property
    def practice_done(self) -> bool:
        practice = self.course.practice
        return practice is None or self.practice_item >= len(practice.items)


@dataclass(frozen=True)
class QuizOutcome:
    question: Question
    chosen: str
    correct: bool
    finished: QuizResult | None


@dataclass(frozen=True)
class QuizResult:
    score: int
    total: int
    passed: bool
    skill_granted: bool
    retry_at: datetime | None


@dataclass(frozen=True)
class PracticeOutcome:
    item: PracticeItem
    chosen: str
    correct: bool
    credited_minor: int
    finished: bool


@dataclass(frozen=True)
class CertificateInfo:
    code: str
    name: str
    course_id: str
    locale: str
    issued_at: datetime


@dataclass(frozen=True)
class CourseStats:
    cohort: str
    course_id: str
    started: int
    in_progress: int
    completed: int
    attempts: int
    passed_attempts: int


def _state(course: Course, row: CourseProgress | None) -> State:
    if row is None:
        return State(course, "new", 0, 0, 0, 0, 0)
    return State(
        course,
        row.stage,
        row.page,
        row.furthest_page,
        row.question,
        row.attempt,
        row.practice_item,
    )


async def _row(session: AsyncSession, user_id: int, course: Course) -> CourseProgress | None:
    row = await session.get(CourseProgress, (user_id, course.id))
    return await _repaired(session, row, course) if row is not None else None


async def _repaired(session: AsyncSession, row: CourseProgress, course: Course) -> CourseProgress:
    """The saved position, brought back inside the course if its content has since shrunk."""
    page = min(row.page, course.page_count)
    broken_quiz = row.stage == "quiz" and row.question >= len(course.quiz)
    if page != row.page or broken_quiz:
        row.page = course.page_count if broken_quiz else page
        row.furthest_page = min(row.furthest_page, course.page_count)
        if broken_quiz:
            row.stage, row.question = "lesson", 0
        await session.commit()
    return row


async def overview(session: AsyncSession, user_id: int, library: CourseLibrary) -> list[State]:
    rows = {
        row.course_id: row
        for row in (
            await session.execute(select(CourseProgress).where(CourseProgress.user_id == user_id))
        ).scalars()
    }
    states = []
    for course in library.courses:
        row = rows.get(course.id)
        states.append(_state(course, await _repaired(session, row, course) if row else None))
    return states


async def current(session: AsyncSession, user_id: int, course: Course) -> State:
    return _state(course, await _row(session, user_id, course))


async def open_course(session: AsyncSession, user_id: int, course: Course, clock: Clock) -> State:
    """Start the course if new; either way, the place the trainee left it."""
    row = await _row(session, user_id, course)
    if row is None:
        now = clock.now()
        try:
            async with session.begin_nested():
                session.add(
                    CourseProgress(
                        user_id=user_id, course_id=course.id, started_at=now, updated_at=now
                    )
                )
        except IntegrityError:
            pass  # a double tap started it a moment ago
        await session.commit()
        row = await _row(session, user_id, course)
    return _state(course, row)


async def turn_page(
    session: AsyncSession, user_id: int, course: Course, seen: int, target: int, clock: Clock
) -> State:
    """Move from page `seen` to `target` (one step). A stale button just shows where they are."""
    row = await _row(session, user_id, course)
    if row is None:
        raise LearningError("not_started")
    allowed = row.stage in ("lesson", "passed") and seen == row.page and abs(target - seen) == 1
    if allowed and 0 <= target <= course.page_count:
        row.page = target
        row.furthest_page = max(row.furthest_page, target)
        row.updated_at = clock.now()
        await session.commit()
    return _state(course, row)


async def _cooldown_until(session: AsyncSession, user_id: int, course: Course) -> datetime | None:
    last = (
        await session.execute(
            select(QuizAttempt)
            .where(QuizAttempt.user_id == user_id, QuizAttempt.course_id == course.id)
            .order_by(QuizAttempt.attempt.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if last is None or last.passed:
        return None
    return last.finished_at + course.retry_cooldown


async def retry_at(
    session: AsyncSession, user_id: int, course: Course, clock: Clock
) -> datetime | None:
    """When a failed quiz may be taken again, if that is still in the future."""
    until = await _cooldown_until(session, user_id, course)
    return until if until is not None and until > clock.now() else None


async def start_quiz(session: AsyncSession, user_id: int, course: Course, clock: Clock) -> State:
    row = await _row(session, user_id, course)
    if row is None:
        raise LearningError("not_started")
    if row.stage == "quiz":
        return _state(course, row)
    if row.stage == "passed":
        raise LearningError("already_passed")
    if row.page < course.page_count:
        raise LearningError("lessons_unfinished")
    until = await retry_at(session, user_id, course, clock)
    if until is not None:
        raise LearningError("cooldown", until=until)
    row.stage, row.question, row.attempt = "quiz", 0, row.attempt + 1
    row.updated_at = clock.now()
    await session.commit()
    return _state(course, row)


async def answer_question(
    session: AsyncSession,
    user_id: int,
    course: Course,
    *,
    attempt: int,
    question_index: int,
    option_id: str,
    clock: Clock,
) -> QuizOutcome:
    row = await _row(session, user_id, course)
    if (
        row is None
        or row.stage != "quiz"
        or row.attempt != attempt
        or row.question != question_index
        or question_index >= len(course.quiz)
    ):
        raise LearningError("stale")
    question = course.quiz[question_index]
    if option_id not in {option.id for option in question.options}:
        raise LearningError("stale")
    now = clock.now()
    correct = option_id == question.answer
    session.add(
        QuizAnswer(
            user_id=user_id,
            course_id=course.id,
            attempt=attempt,
            question_id=question.id,
            option_id=option_id,
            correct=correct,
            answered_at=now,
        )
    )
    row.question += 1
    row.updated_at = now
    try:
        finished = None
        if row.question >= len(course.quiz):
            finished = await _finish_quiz(session, row, course, now)
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise LearningError("stale") from None  # a double tap answered it a moment ago
    return QuizOutcome(question, option_id, correct, finished)


async def _finish_quiz(
    session: AsyncSession, row: CourseProgress, course: Course, now: datetime
) -> QuizResult:
    await session.flush()
    score = (
        await session.execute(
            select(func.count()).where(
                QuizAnswer.user_id == row.user_id,
                QuizAnswer.course_id == course.id,
                QuizAnswer.attempt == row.attempt,
                QuizAnswer.correct.is_(True),
            )
        )
    ).scalar_one()
    total = len(course.quiz)
    passed = score * 100 >= course.pass_mark * total
    session.add(
        QuizAttempt(
            user_id=row.user_id,
            course_id=course.id,
            attempt=row.attempt,
            score=score,
            total=total,
            passed=passed,
            finished_at=now,
        )
    )
    granted = False
    if passed:
        row.stage, row.completed_at = "passed", now
        row.furthest_page = course.page_count
        if await session.get(UserSkill, (row.user_id, course.skill)) is None:
            session.add(
                UserSkill(
                    user_id=row.user_id, skill=course.skill, course_id=course.id, granted_at=now
                )
            )
            granted = True
    else:
        row.stage, row.page, row.question = "lesson", course.page_count, 0
    retry = None if passed else now + course.retry_cooldown
    return QuizResult(score, total, passed, granted, retry)


async def last_attempt(session: AsyncSession, user_id: int, course: Course) -> QuizAttempt | None:
    return (
        await session.execute(
            select(QuizAttempt)
            .where(QuizAttempt.user_id == user_id, QuizAttempt.course_id == course.id)
            .order_by(QuizAttempt.attempt.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def skills(session: AsyncSession, user_id: int) -> set[str]:
    rows = await session.execute(select(UserSkill.skill).where(UserSkill.user_id == user_id))
    return set(rows.scalars())


def _info(row: Certificate) -> CertificateInfo:
    return CertificateInfo(row.code, row.name, row.course_id, row.locale, row.issued_at)


async def _certificate_of(
    session: AsyncSession, user_id: int, course: Course
) -> Certificate | None:
    return (
        await session.execute(
            select(Certificate).where(
                Certificate.user_id == user_id, Certificate.course_id == course.id
            )
        )
    ).scalar_one_or_none()


async def issue_certificate(
    session: AsyncSession, user_id: int, course: Course, clock: Clock
) -> CertificateInfo:
    """The trainee's certificate for a passed course (issued once; later calls return it)."""
    existing = await _certificate_of(session, user_id, course)
    if existing is not None:
        return _info(existing)
    row = await _row(session, user_id, course)
    if row is None or row.stage != "passed":
        raise LearningError("not_passed")
    user = await session.get(User, user_id)
    if user is None or not user.display_name:
        raise LearningError("needs_name")
    for _ in range(5):
        code = "RFQ-" + "-".join(
            "".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(2)
        )
        certificate = Certificate(
            code=code,
            user_id=user_id,
            course_id=course.id,
            name=user.display_name,
            locale=user.locale,
            issued_at=clock.now(),
        )
        try:
            async with session.begin_nested():
                session.add(certificate)
        except IntegrityError:
            issued = await _certificate_of(session, user_id, course)
            if issued is not None:  # a double tap issued it a moment ago
                return _info(issued)
            continue  # the code was taken: draw another
        await session.commit()
        return _info(certificate)
    raise LearningError("no_code")


async def pending_certificates(
    session: AsyncSession, user_id: int, library: CourseLibrary
) -> list[Course]:
    passed = set(
        (
            await session.execute(
                select(CourseProgress.course_id).where(
                    CourseProgress.user_id == user_id, CourseProgress.stage == "passed"
                )
            )
        ).scalars()
    )
    issued = set(
        (
            await session.execute(
                select(Certificate.course_id).where(Certificate.user_id == user_id)
            )
        ).scalars()
    )
    return [c for c in library.courses if c.id in passed - issued]


async def find_certificate(session: AsyncSession, code: str) -> CertificateInfo | None:
    row = await session.get(Certificate, code.strip().upper()[:16])
    return _info(row) if row else None


async def answer_practice(
    session: AsyncSession,
    user_id: int,
    course: Course,
    *,
    item_index: int,
    label: str,
    clock: Clock,
) -> PracticeOutcome:
    """Record one practice answer once, and the training pay it earns once."""
    practice = course.practice
    row = await _row(session, user_id, course)
    if practice is None or row is None or row.practice_item != item_index:
        raise LearningError("stale")
    if row.stage == "quiz" or (row.stage != "passed" and row.page < course.page_count):
        raise LearningError("not_now")
    if item_index >= len(practice.items) or label not in {lb.id for lb in practice.labels}:
        raise LearningError("stale")
    item = practice.items[item_index]
    now = clock.now()
    correct = label == item.answer
    answer = PracticeAnswer(
        user_id=user_id,
        course_id=course.id,
        item_id=item.id,
        label=label,
        correct=correct,
        answered_at=now,
    )
    credited = 0
    try:
        session.add(answer)
        await session.flush()
        if practice.rate_minor and practice.currency:
            credited = practice.rate_minor
            session.add(
                MoneyOwed(
                    user_id=user_id,
                    amount_minor=credited,
                    currency=practice.currency,
                    kind="practice",
                    source_key=practice_pay_key(answer.id),
                    created_at=now,
                )
            )
        row.practice_item += 1
        row.updated_at = now
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise LearningError("stale") from None
    return PracticeOutcome(item, label, correct, credited, row.practice_item >= len(practice.items))


def practice_pay_key(answer_id: int | None) -> str:
    """What earned the pay: one practice answer (unique, and free of personal data)."""
    return f"practice-answer:{answer_id}"


async def practice_earned(session: AsyncSession, user_id: int, course: Course) -> int:
    total = (
        await session.execute(
            select(func.coalesce(func.sum(MoneyOwed.amount_minor), 0)).where(
                MoneyOwed.kind == "practice",
                MoneyOwed.source_key.in_(
                    select(literal("practice-answer:") + cast(PracticeAnswer.id, String)).where(
                        PracticeAnswer.user_id == user_id, PracticeAnswer.course_id == course.id
                    )
                ),
            )
        )
    ).scalar_one()
    return int(total)


async def cohort_progress(
    session: AsyncSession, organisation_id: int, library: CourseLibrary
) -> list[CourseStats]:
    """Per cohort of the organisation and course: started, in progress, completed, pass rate."""
    progress = (
        await session.execute(
            select(
                Cohort.name,
                CourseProgress.course_id,
                func.count(),
                func.sum(case((CourseProgress.stage == "passed", 1), else_=0)),
            )
            .join(User, User.cohort_id == Cohort.id)
            .join(CourseProgress, CourseProgress.user_id == User.id)
            .where(Cohort.organisation_id == organisation_id)
            .group_by(Cohort.name, CourseProgress.course_id)
        )
    ).all()
    attempts = (
        await session.execute(
            select(
                Cohort.name,
                QuizAttempt.course_id,
                func.count(),
                func.sum(case((QuizAttempt.passed.is_(True), 1), else_=0)),
            )
            .join(User, User.cohort_id == Cohort.id)
            .join(QuizAttempt, QuizAttempt.user_id == User.id)
            .where(Cohort.organisation_id == organisation_id)
            .group_by(Cohort.name, QuizAttempt.course_id)
        )
    ).all()
    tries = {(cohort, course): (int(n), int(ok or 0)) for cohort, course, n, ok in attempts}
    order = {course.id: index for index, course in enumerate(library.courses)}
    stats = [
        CourseStats(
            cohort=cohort,
            course_id=course_id,
            started=int(started),
            in_progress=int(started) - int(completed or 0),
            completed=int(completed or 0),
            attempts=tries.get((cohort, course_id), (0, 0))[0],
            passed_attempts=tries.get((cohort, course_id), (0, 0))[1],
        )
        for cohort, course_id, started, completed in progress
        if course_id in order
    ]
    return sorted(stats, key=lambda s: (s.cohort, order[s.course_id]))
