"""Callback data comes from clients that may send any bytes: parsing never crashes."""

from __future__ import annotations

import pytest
from aiogram.filters.callback_data import CallbackData
from hypothesis import given
from hypothesis import strategies as st

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
    from courses.content_model import MAX_ID_CHARS

    longest_id = "x" * MAX_ID_CHARS
    packed = [
        callbacks.PickOption(course=longest_id, attempt=999, question=99, option=longest_id),
        callbacks.ItemAnswer(kind="p", ref=longest_id, item=999, label=longest_id),
        callbacks.TurnPage(course=longest_id, seen=999, to=999),
    ]
    assert all(len(data.pack().encode()) <= 64 for data in packed)
