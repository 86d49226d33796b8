"""The weekly payout job: run the payouts, each worker in a transaction of its own, then write
the period's batch file for finance (tasks.payouts, tasks.payout_batch).

The scheduler and `python -m bot payouts run` call `run_payout_job`. A run killed half-way has
committed whole workers only; the next run of the period pays the rest and writes the full file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from bot.settings import Settings
from core import db
from core.clock import Clock
from tasks.payout_batch import write_batch
from tasks.payout_models import PayoutState
from tasks.payouts import RunReport, payouts_of, run_payouts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobResult:
    report: RunReport
    batch: Path
    in_batch: int


async def run_payout_job(
    sessions: db.SessionFactory,
    gate: db.WriteGate,
    clock: Clock,
    settings: Settings,
    *,
    period: str | None = None,
    out_dir: Path | None = None,
    actor: str = "scheduler",
) -> JobResult:
    terms = settings.payout_terms()
    await gate.acquire()
    try:
        async with sessions() as session:

            async def commit_step() -> None:
                await session.commit()
                gate.release()  # let the bot's updates write between two workers
                await gate.acquire()

            report = await run_payouts(
                session, clock.now(), terms, period=period, actor=actor, after_each=commit_step
            )
            await session.commit()
            batch = await payouts_of(session, period=report.period, state=PayoutState.IN_PAYOUT)
    finally:
        gate.release()
    path = write_batch(out_dir or settings.payouts_dir, report.period, batch)
    log.info(
        "payouts %s: %d new, %d existing, %d below the minimum, %d without a method; batch %s",
        report.period,
        len(report.created),
        report.already,
        report.below_minimum,
        report.no_method,
        path,
    )
    return JobResult(report, path, len(batch))
