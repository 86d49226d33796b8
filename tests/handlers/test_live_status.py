"""The progress message of a long job: throttled by the clock, outside the update's transaction."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from core import unit_of_work
from core.clock import ManualClock
from core.i18n import use_locale
from handlers.live_status import LiveStatus


class FakeMessage:
    def __init__(self) -> None:
        self.text = "⏳ Checking the project files…"
        self.edits: list[str] = []
        self.units_seen: list[Any] = []

    async def edit_text(self, text: str) -> None:
        self.units_seen.append(unit_of_work.current.get())
        self.edits.append(text)

    async def answer(self, text: str) -> None:
        raise AssertionError("the outcome goes into the same message")


async def test_reports_are_shown_at_most_every_two_seconds_and_the_last_always() -> None:
    clock = ManualClock(datetime(2026, 11, 22, 9, tzinfo=UTC))
    message = FakeMessage()
    status = LiveStatus(message, clock)  # type: ignore[arg-type]
    report = status.reporter("images: {done} of {total}")
    for done in range(1, 11):
        await asyncio.to_thread(report, done, 10)  # from a worker thread, as the import does
        clock.advance(timedelta(milliseconds=700))
    await status.finish("✅ done")
    assert message.edits == [
        "images: 1 of 10",
        "images: 4 of 10",
        "images: 7 of 10",
        "images: 10 of 10",
        "✅ done",
    ]


async def test_an_edit_never_runs_inside_the_updates_unit_of_work() -> None:
    clock = ManualClock(datetime(2026, 11, 22, 9, tzinfo=UTC))
    message = FakeMessage()
    token = unit_of_work.current.set(object())  # type: ignore[arg-type]
    try:
        with use_locale("ar"):
            status = LiveStatus(message, clock)  # type: ignore[arg-type]
            status.reporter("{done} / {total}")(3, 3)
            await asyncio.sleep(0)
            await status.finish("✅")
    finally:
        unit_of_work.current.reset(token)
    assert message.edits[0] == "\u2068٣\u2069 / \u2068٣\u2069"
    assert message.units_seen[0] is None  # CommitBeforeTelegram finds nothing to commit
