"""The quiz: attempts, answers by question id, the score, the cooldown after a fail, skills."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import db
from core.clock import Clock
from courses.content_model import Course, Question
from courses.models import QuizAnswer, QuizAttempt, UserSkill
from courses.progress import LearningError, Loaded, State, load, move


@dataclass(frozen=True)
class QuizResult:
    score: int
    total: int
    passed: bool
    skill_granted: bool
    retry_at: datetime | None


@dataclass(frozen=True)
class QuizOutcome:
    question: Question
    chosen: str
    correct: bool
    finished: QuizResult | None


@dataclass(frozen=True)
class AttemptScore:
    score: int
    total: int


async def _cooldown_until(session: AsyncSession, user_id: int, course: Course) -> datetime | None:
    last = await _last_attempt(session, user_id, course)
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
    loaded = await load(session, user_id, course)
    row, state = loaded.row, loaded.state
    if row is None:
        raise LearningError("not_started")
    if state.stage == "quiz":
        return state
    if state.stage == "passed":
        raise LearningError("already_passed")
    if not state.reading_done:
        raise LearningError("lessons_unfinished")
    until = await retry_at(session, user_id, course, clock)
    if until is not None:
        raise LearningError("cooldown", until=until)
    row.stage, row.attempt = "quiz", row.attempt + 1
    await move(session, loaded, None, 0, clock.now())
    return (await load(session, user_id, course)).state


async def answer_question(
    session: AsyncSession,
    user_id: int,
    course: Course,
    *,
    attempt: int,
    question_id: str,
    option_id: str,
    clock: Clock,
) -> QuizOutcome:
    """Record the answer to the current question of the attempt; anything else is "stale"
    (a double tap, an old button, a question edited or removed since), and changes nothing."""
    loaded = await load(session, user_id, course)
    row, state = loaded.row, loaded.state
    question = state.question
    if (
        row is None
        or state.stage != "quiz"
        or row.attempt != attempt
        or question is None
        or question.id != question_id
        or option_id not in {option.id for option in question.options}
    ):
        raise LearningError("stale")
    now = clock.now()
    correct = option_id == question.answer
    try:
        async with session.begin_nested():
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
            row.updated_at = now
            finished = None
            if all(q.id in state.answered | {question.id} for q in course.quiz):
                finished = await _finish(session, loaded, now)
    except IntegrityError:
        raise LearningError("stale") from None  # a double tap answered it a moment ago
    return QuizOutcome(question, option_id, correct, finished)


async def finish_if_answered(
    session: AsyncSession, user_id: int, course: Course, clock: Clock
) -> State:
    """A quiz whose every current question is answered (one was removed from the course while
    the trainee was on it) ends now; otherwise nothing changes."""
    loaded = await load(session, user_id, course)
    state = loaded.state
    if state.stage != "quiz" or state.question is not None:
        return state
    try:
        async with session.begin_nested():
            await _finish(session, loaded, clock.now())
    except IntegrityError:
        pass  # a double tap finished it a moment ago
    return (await load(session, user_id, course)).state


async def _finish(session: AsyncSession, loaded: Loaded, now: datetime) -> QuizResult:
    row, course = loaded.row, loaded.state.course
    assert row is not None
    await session.flush()
    score = (
        await session.execute(
            select(func.count()).where(
                QuizAnswer.user_id == row.user_id,
                QuizAnswer.course_id == course.id,
                QuizAnswer.attempt == row.attempt,
                QuizAnswer.correct.is_(True),
                QuizAnswer.question_id.in_([q.id for q in course.quiz]),
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
    await session.flush()
    granted = False
    if passed:
        row.stage, row.completed_at = "passed", now
        if await session.get(UserSkill, (row.user_id, course.skill)) is None:
            try:
                async with session.begin_nested():
                    session.add(
                        UserSkill(
                            user_id=row.user_id,
                            skill=course.skill,
                            course_id=course.id,
                            granted_at=now,
                        )
                    )
                granted = True
            except IntegrityError:
                pass  # granted a moment ago (another course teaching the same skill)
    else:
        row.stage = "lesson"
    await move(session, loaded, None, 0, now)
    retry = None if passed else now + course.retry_cooldown
    return QuizResult(score, total, passed, granted, retry)


async def _last_attempt(session: AsyncSession, user_id: int, course: Course) -> QuizAttempt | None:
    return (
        await session.execute(
            select(QuizAttempt)
            .where(QuizAttempt.user_id == user_id, QuizAttempt.course_id == course.id)
            .order_by(QuizAttempt.attempt.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def last_score(session: AsyncSession, user_id: int, course: Course) -> AttemptScore | None:
    """The score of the trainee's latest finished attempt, if any."""
    last = await _last_attempt(session, user_id, course)
    return AttemptScore(last.score, last.total) if last is not None else None


_SKILLS = select(UserSkill.skill).where(UserSkill.user_id == bindparam("user_id"))


async def skills(session: AsyncSession, user_id: int) -> set[str]:
    """The skills the member has (read for every work card: built once, one Core statement)."""
    return set((await db.run(session, _SKILLS, {"user_id": user_id})).scalars())
