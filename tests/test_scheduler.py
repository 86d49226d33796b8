"""The scheduler's jobs: when each one runs, in the deployment's time zone, and that the job the
scheduler calls pays once however often it fires."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot import scheduler
from bot.app import Runtime
from bot.settings import load_settings
from tasks.payout_models import Payout
from tests.tasks.test_payouts import DARI, PAID_WORKER, workers


def _batch_files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob("*.csv"))


def test_each_job_runs_at_its_time_in_the_deployment_zone() -> None:
    settings = load_settings(timezone="Asia/Kabul", payout_weekday=0, payout_hour=9, _env_file=None)
    wednesday = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    due = {
        job.name: job.trigger.get_next_fire_time(None, wednesday).astimezone(UTC)
        for job in scheduler.jobs(settings)
    }
    assert due == {
        "payouts": datetime(2026, 11, 30, 4, 30, tzinfo=UTC),  # Monday 09:00 in Kabul
        "fair-pay": datetime(2026, 11, 29, 22, 30, tzinfo=UTC),  # Monday 03:00 in Kabul
        "outbox-prune": datetime(2026, 11, 26, 0, 0, tzinfo=UTC),  # 04:30 in Kabul
        "reminders": datetime(2026, 11, 25, 12, 0, tzinfo=UTC),  # 16:30 in Kabul: every 15 min
    }


async def test_the_jobs_the_scheduler_fires_pay_once_when_they_fire_twice(
    runtime: Runtime, tmp_path: Path
) -> None:
    runtime.settings = runtime.settings.model_copy(update={"payouts_dir": tmp_path})
    await workers(runtime)
    for _ in range(2):
        for job in scheduler.jobs(runtime.settings):
            await job.run(runtime)
    async with runtime.sessions() as session:
        payouts = (await session.execute(select(Payout).order_by(Payout.id))).scalars().all()
    assert [(p.user_id, p.amount_minor, p.state) for p in payouts] == [
        (PAID_WORKER, 700, "in_payout"),
        (DARI, 500, "in_payout"),
    ]
    assert _batch_files(tmp_path) != []


async def test_the_scheduler_starts_and_stops_on_the_bots_loop(runtime: Runtime) -> None:
    running = scheduler.Scheduler(runtime)
    running.start()
    assert sorted(job.id for job in running._scheduler.get_jobs()) == [
        "fair-pay",
        "outbox-prune",
        "payouts",
        "reminders",
    ]
    running.stop()
    await asyncio.sleep(0)  # APScheduler's asyncio scheduler shuts down on the loop's next turn
    assert not running._scheduler.running
