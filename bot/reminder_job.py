"""The reminder job: lessons left unfinished, quizzes that can be retried, new work; each kind in
a transaction of its own (outreach.reminders writes the outbox rows; people.reminders keeps the
quiet hours, the daily cap and the off switches). Running it twice writes nothing twice."""

from __future__ import annotations

from datetime import timedelta

from bot.settings import Settings
from core import db
from core.clock import Clock
from courses.library import CourseLibrary
from outreach import reminders


async def run_reminders(
    sessions: db.SessionFactory,
    gate: db.WriteGate,
    clock: Clock,
    library: CourseLibrary,
    settings: Settings,
) -> int:
    """Write the reminders due now; how many."""
    now, zone, cap = clock.now(), settings.zone, settings.reminder_daily_cap
    idle = timedelta(hours=settings.reminder_idle_hours)
    written = 0
    steps = (
        lambda s: reminders.remind_idle_lessons(s, library, now, idle, zone, cap),
        lambda s: reminders.remind_quiz_retries(s, library, now, zone, cap),
        lambda s: reminders.remind_new_work(s, now, zone, cap),
    )
    for step in steps:
        async with gate.held(), sessions() as session:
            written += await step(session)
            await session.commit()
    return written
