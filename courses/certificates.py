"""Certificates: issued once per trainee and passed course, with a code anyone can verify."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from courses.content_model import Course
from courses.library import CourseLibrary
from courses.models import Certificate, CourseProgress
from courses.progress import LearningError
from people.models import User

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class CertificateInfo:
    code: str
    name: str
    course_id: str
    locale: str
    issued_at: datetime
    replaced_by: str | None = None  # the code of the certificate with the corrected name


def _info(row: Certificate) -> CertificateInfo:
    return CertificateInfo(
        row.code, row.name, row.course_id, row.locale, row.issued_at, row.replaced_by
    )


async def _certificate_of(
    session: AsyncSession, user_id: int, course: Course
) -> Certificate | None:
    return (
        await session.execute(
            select(Certificate).where(
                Certificate.user_id == user_id,
                Certificate.course_id == course.id,
                Certificate.replaced_by.is_(None),
            )
        )
    ).scalar_one_or_none()


def _new_code() -> str:
    return "RFQ-" + "-".join(
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(2)
    )


async def issue_certificate(
    session: AsyncSession, user_id: int, course: Course, clock: Clock
) -> CertificateInfo:
    """The trainee's certificate for a passed course (issued once; later calls return it)."""
    existing = await _certificate_of(session, user_id, course)
    if existing is not None:
        return _info(existing)
    progress = await session.get(CourseProgress, (user_id, course.id))
    if progress is None or progress.stage != "passed":
        raise LearningError("not_passed")
    user = await session.get(User, user_id)
    if user is None or not user.display_name:
        raise LearningError("needs_name")
    for _ in range(5):
        certificate = Certificate(
            code=_new_code(),
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
        return _info(certificate)
    raise LearningError("no_code")


async def has_passed(session: AsyncSession, user_id: int, course: Course) -> bool:
    progress = await session.get(CourseProgress, (user_id, course.id))
    return progress is not None and progress.stage == "passed"


async def pending_certificates(
    session: AsyncSession, user_id: int, library: CourseLibrary
) -> list[Course]:
    """Passed courses of the trainee that have no certificate yet."""
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
                select(Certificate.course_id).where(
                    Certificate.user_id == user_id, Certificate.replaced_by.is_(None)
                )
            )
        ).scalars()
    )
    return [c for c in library.courses if c.id in passed - issued]


async def find_certificate(session: AsyncSession, code: str) -> CertificateInfo | None:
    """The certificate with `code`, current or replaced."""
    row = await session.get(Certificate, code.strip().upper()[:16])
    return _info(row) if row else None


async def current_certificate(
    session: AsyncSession, user_id: int, course: Course
) -> CertificateInfo | None:
    """The trainee's certificate for the course as it stands (not a replaced one)."""
    row = await _certificate_of(session, user_id, course)
    return _info(row) if row else None


async def name_correctable(session: AsyncSession, user_id: int, course: Course) -> bool:
    """Whether the name on the course's certificate may still be corrected (once)."""
    rows = (
        await session.execute(
            select(Certificate.replaced_by).where(
                Certificate.user_id == user_id, Certificate.course_id == course.id
            )
        )
    ).all()
    return bool(rows) and all(replaced_by is None for (replaced_by,) in rows)


async def correct_name(
    session: AsyncSession, user_id: int, course: Course, clock: Clock
) -> CertificateInfo:
    """A new certificate for the course with the trainee's name as it is now; the old one stays
    verifiable and names the new one. Once per course: "no_certificate", "already_corrected"
    (a double tap included) or "same_name" otherwise."""
    old = await _certificate_of(session, user_id, course)
    if old is None:
        raise LearningError("no_certificate")
    if not await name_correctable(session, user_id, course):
        raise LearningError("already_corrected")
    user = await session.get(User, user_id)
    if user is None or not user.display_name:
        raise LearningError("needs_name")
    if user.display_name == old.name:
        raise LearningError("same_name")
    for _ in range(5):
        code = _new_code()
        try:
            async with session.begin_nested():
                marked = await session.execute(
                    update(Certificate)
                    .where(Certificate.code == old.code, Certificate.replaced_by.is_(None))
                    .values(replaced_by=code)
                    .execution_options(synchronize_session=False)
                )
                if marked.rowcount != 1:
                    raise LearningError("already_corrected")
                session.add(
                    Certificate(
                        code=code,
                        user_id=user_id,
                        course_id=course.id,
                        name=user.display_name,
                        locale=user.locale,
                        issued_at=clock.now(),
                    )
                )
        except IntegrityError:
            continue  # the code was taken: draw another
        await session.refresh(old)
        new = await session.get(Certificate, code)
        assert new is not None
        return _info(new)
    raise LearningError("no_code")
