"""The jobs that run on their own (APScheduler 3), each in a transaction of its own.

Every job is safe to run twice or in two processes at once: the database, not the scheduler,
makes a second run harmless (a payout is unique per worker and week, a top-up per answer, a
notice per (kind, dedup key)). A run missed while the bot was down is run once when it is back
within a day (coalesced), and the weekly jobs look back far enough to catch up.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.app import Runtime

log = logging.getLogger(__name__)
DAY = 24 * 3600


@dataclass(frozen=True)
class Job:
    name: str
    trigger: CronTrigger
    run: Callable[[Runtime], Awaitable[Any]]


async def payouts(runtime: Runtime) -> None:
    from bot.payout_job import run_payout_job

    result = await run_payout_job(runtime.sessions, runtime.gate, runtime.clock, runtime.settings)
    log.info("payout run: %s new payouts", len(result.report.created))


async def fair_pay(runtime: Runtime) -> None:
    from tasks.fair_pay import weekly_job

    settings = runtime.settings
    await weekly_job(
        runtime.sessions, runtime.clock, settings.min_hourly_wage, settings.zone, runtime.gate
    )


async def prune_outbox(runtime: Runtime) -> None:
    from bot.sender import prune_outbox as prune

    settings = runtime.settings
    await prune(runtime.sessions, runtime.gate, runtime.clock.now(), settings.outbox_keep_sent_days)


async def reminders(runtime: Runtime) -> None:
    from bot.reminder_job import run_reminders

    written = await run_reminders(
        runtime.sessions, runtime.gate, runtime.clock, runtime.library, runtime.settings
    )
    log.info("reminders: %s written", written)


def jobs(settings: Settings) -> list[Job]:
    """What runs when: payouts weekly at PAYOUT_WEEKDAY/PAYOUT_HOUR, fair-pay top-ups early on
    Monday, the outbox's old sent rows daily, reminders every REMINDER_EVERY_MINUTES; all in
    TIMEZONE."""
    zone = settings.zone
    return [
        Job(
            "payouts",
            CronTrigger(
                day_of_week=settings.payout_weekday, hour=settings.payout_hour, timezone=zone
            ),
            payouts,
        ),
        Job("fair-pay", CronTrigger(day_of_week=0, hour=3, timezone=zone), fair_pay),
        Job("outbox-prune", CronTrigger(hour=4, minute=30, timezone=zone), prune_outbox),
        Job(
            "reminders",
            CronTrigger(minute=f"*/{settings.reminder_every_minutes}", timezone=zone)
            if settings.reminder_every_minutes < 60
            else CronTrigger(minute=0, hour=f"*/{settings.reminder_every_minutes // 60}"),
            reminders,
        ),
    ]


class Scheduler:
    """APScheduler's asyncio scheduler with the jobs above, on the bot's event loop."""

    def __init__(self, runtime: Runtime) -> None:
        self._scheduler = AsyncIOScheduler(timezone=runtime.settings.zone)
        for job in jobs(runtime.settings):
            self._scheduler.add_job(
                job.run,
                job.trigger,
                args=[runtime],
                id=job.name,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=DAY,
            )

    def start(self) -> None:
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
