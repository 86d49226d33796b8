"""A certificate name corrected once: a new code, the old one verifiable and marked replaced."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

import bot.schema  # noqa: F401 - registers every table for the erasure
from bot.app import Runtime
from courses import certificates
from courses.models import Certificate
from courses.progress import LearningError
from people import accounts, privacy
from tests.courses.test_learning_service import _at_quiz, answer


async def _certified(runtime: Runtime):
    course, state = await _at_quiz(runtime)
    for question in course.quiz:
        await answer(runtime, course, state.attempt, question.id, question.answer)
    async with runtime.sessions() as session:
        await accounts.set_display_name(session, 7, "Olena Koval")
        first = await certificates.issue_certificate(session, 7, course, runtime.clock)
        await session.commit()
    return course, first


async def _rename(runtime: Runtime, name: str) -> None:
    async with runtime.sessions() as session:
        await accounts.set_display_name(session, 7, name)
        await session.commit()


async def test_correction_once_keeps_the_old_code_verifiable(runtime: Runtime) -> None:
    course, first = await _certified(runtime)
    async with runtime.sessions() as session:
        with pytest.raises(LearningError) as same:
            await certificates.correct_name(session, 7, course, runtime.clock)
    assert same.value.reason == "same_name"

    await _rename(runtime, "Olena Kovalenko")
    async with runtime.sessions() as session:
        assert await certificates.name_correctable(session, 7, course)
        second = await certificates.correct_name(session, 7, course, runtime.clock)
        await session.commit()
    assert second.code != first.code and second.name == "Olena Kovalenko"

    await _rename(runtime, "Olena K.")
    async with runtime.sessions() as session:
        assert not await certificates.name_correctable(session, 7, course)
        with pytest.raises(LearningError) as twice:
            await certificates.correct_name(session, 7, course, runtime.clock)
        old = await certificates.find_certificate(session, first.code)
        new = await certificates.find_certificate(session, second.code)
        current = await certificates.current_certificate(session, 7, course)
        # a passed course with a corrected certificate is not pending another
        assert await certificates.pending_certificates(session, 7, runtime.library) == []
        assert (await certificates.issue_certificate(session, 7, course, runtime.clock)).code == (
            second.code
        )
    assert twice.value.reason == "already_corrected"
    assert old is not None and old.name == "Olena Koval" and old.replaced_by == second.code
    assert new is not None and new.replaced_by is None
    assert current is not None and current.code == second.code


async def test_a_double_tap_on_yes_corrects_once(runtime: Runtime) -> None:
    course, _ = await _certified(runtime)
    await _rename(runtime, "Olena Kovalenko")

    async def tap() -> str:
        async with runtime.sessions() as session:
            try:
                code = (await certificates.correct_name(session, 7, course, runtime.clock)).code
            except LearningError as error:
                return error.reason
            await session.commit()
            return code

    results = await asyncio.gather(tap(), tap())
    assert sorted(r == "already_corrected" for r in results) == [False, True]
    async with runtime.sessions() as session:
        rows = (await session.execute(select(Certificate))).scalars().all()
    assert len(rows) == 2 and sum(r.replaced_by is None for r in rows) == 1


async def test_erasure_blanks_the_name_on_the_replaced_certificate_too(runtime: Runtime) -> None:
    course, _ = await _certified(runtime)
    await _rename(runtime, "Olena Kovalenko")
    async with runtime.sessions() as session:
        await certificates.correct_name(session, 7, course, runtime.clock)
        await session.commit()
    async with runtime.sessions() as session:
        erased = await privacy.erase(session, 7, SQLModel.metadata)
        await session.commit()
    assert erased.certificates_kept == 2
    async with runtime.sessions() as session:
        rows = (await session.execute(select(Certificate))).scalars().all()
    assert [(r.user_id, r.name) for r in rows] == [(None, ""), (None, "")]
    assert sum(r.replaced_by is not None for r in rows) == 1
