"""Callback data comes from clients that may send any bytes: parsing never crashes."""

from __future__ import annotations

import pytest
from aiogram.filters.callback_data import CallbackData
from hypothesis import given
from hypothesis import strategies as st

from courses.library import CourseLibrary
from handlers import callbacks

CLASSES = [
    value
    for value in vars(callbacks).values()
    if isinstance(value, type) and issubclass(value, CallbackData) and value is not CallbackData
]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
@given(data=st.text(max_size=64))
def test_any_text_either_parses_and_round_trips_or_is_refused(
    cls: type[CallbackData], data: str
) -> None:
    try:
        parsed = cls.unpack(data)
    except (ValueError, TypeError):
        return
    assert cls.unpack(parsed.pack()) == parsed


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
@given(rest=st.lists(st.text(alphabet="abc-_019:", max_size=12), max_size=6))
def test_own_prefix_with_junk_fields(cls: type[CallbackData], rest: list[str]) -> None:
    data = ":".join([cls.__prefix__, *rest])
    try:
        parsed = cls.unpack(data)
    except (ValueError, TypeError):
        return
    assert isinstance(parsed, cls)


def test_longest_callbacks_with_longest_ids_fit_telegram_limit() -> None:
    from courses.content_model import MAX_ID_CHARS, MAX_LABELS
    from courses.library import course_key

    longest_id = "x" * MAX_ID_CHARS
    key = course_key(longest_id)
    packed = [
        callbacks.PickOption(course=key, attempt=999, question=longest_id, option=longest_id),
        callbacks.ItemAnswer(kind="p", ref=key, item=longest_id, label=longest_id),
        callbacks.TurnPage(course=longest_id, lesson=longest_id, page=999, forward=False),
        callbacks.PracticeToggle(ref=key, item=longest_id, m=(1 << MAX_LABELS) - 1, submit=True),
    ]
    assert all(len(data.pack().encode()) <= 64 for data in packed)


def test_a_course_key_finds_its_course_and_no_other(library: CourseLibrary) -> None:
    from courses.library import course_key

    keys = {course_key(course.id) for course in library.courses}
    assert len(keys) == len(library.courses)
    for course in library.courses:
        assert library.by_key(course_key(course.id)) is course
    assert library.by_key("nokey") is None
