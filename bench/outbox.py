"""The outbox's sender at Telegram's pace: achieved messages a second against the configured limit.

Run: .venv/bin/python -m bench.outbox [--recipients 10000] [--rates 30,1000]
     [--database sqlite|postgres] [--database-url URL] [--concurrency N]

For each rate: a fresh migrated database holding `--recipients` people and one broadcast row
each; the project's Telegram stand-in on 127.0.0.1 with its global limit at that rate (and one
message a second per chat); the sender (bot/sender.py) with OUTBOX_RATE at that rate and the
default reply reserve, real clock, real sleep, draining until nothing waits. The table gives the
achieved rate as a share of the limit and the 429s the stand-in answered, in the first second
and after it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import sys
import time
from dataclasses import dataclass

from bench.throughput import DEFAULT_POSTGRES, postgres_database, sqlite_database
from bot.app import Runtime
from bot.sender import OutboxSender, SenderConfig, build_sender_bot
from bot.settings import load_settings
from core import db
from standin.ratelimit import RateLimits
from standin.server import StandIn
from tests.outbox_helpers import CallLog, add_people, enqueue_broadcast, states

TOKEN = "1000000001:bench-token-for-the-local-stand-in-only"
FIRST_USER_ID = 700_000


@dataclass
class Run:
    limit: float
    recipients: int
    sent: int
    seconds: float
    early_429: int  # in the first second
    late_429: int
    cpu: float  # seconds of CPU this process used meanwhile (the stand-in's share included)

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else 0.0

    @property
    def share(self) -> float:
        return self.rate / self.limit


async def measure(url: str, limit: float, recipients: int, concurrency: int | None) -> Run:
    await db.upgrade(url)
    settings = load_settings(_env_file=None, database_url=url, outbox_rate=limit)
    runtime = Runtime.create(settings)
    server = StandIn(rate_limits=RateLimits(global_per_second=limit), clock=time.monotonic)
    await server.start()
    log = CallLog(server, time.monotonic)
    try:
        ids = list(range(FIRST_USER_ID, FIRST_USER_ID + recipients))
        locales = await add_people(runtime.sessions, server, ids, runtime.clock.now())
        await enqueue_broadcast(runtime.sessions, locales, runtime.clock.now())
        config = SenderConfig.from_settings(settings)
        if concurrency is None:  # enough in flight for the rate at a few ms a request
            concurrency = max(config.concurrency, math.ceil(limit / 20))
        sender = OutboxSender(
            runtime.sessions,
            runtime.gate,
            build_sender_bot(TOKEN, server.api_base),
            runtime.clock,
            SenderConfig(**{**config.__dict__, "concurrency": concurrency}),
            postgres=url.startswith("postgresql"),
        )
        started, cpu = time.monotonic(), time.process_time()
        await sender.run(until_empty=True)
        seconds = time.monotonic() - started
        cpu = time.process_time() - cpu
        await sender.bot.session.close()
        refused = [c.at - started for c in log.sends(429)]
        sent = (await states(runtime.sessions))["sent"]
        return Run(
            limit,
            recipients,
            sent,
            seconds,
            sum(1 for at in refused if at < 1.0),
            sum(1 for at in refused if at >= 1.0),
            cpu,
        )
    finally:
        await server.stop()
        await runtime.close()


def table(runs: list[Run], database: str) -> str:
    lines = [
        f"{'limit/s':>8} {'database':>9} {'recipients':>10} {'sent':>6} {'seconds':>8} "
        f"{'msgs/s':>8} {'share':>6} {'429 1st s':>9} {'429 after':>9} {'cpu s':>6}"
    ]
    for run in runs:
        lines.append(
            f"{run.limit:>8.0f} {database:>9} {run.recipients:>10} {run.sent:>6} "
            f"{run.seconds:>8.1f} {run.rate:>8.1f} {run.share:>6.3f} {run.early_429:>9} "
            f"{run.late_429:>9} {run.cpu:>6.1f}"
        )
    return "\n".join(lines)


async def run_all(args: argparse.Namespace) -> list[Run]:
    runs = []
    for limit in args.rates:
        if args.database == "sqlite":
            async with sqlite_database() as url:
                runs.append(await measure(url, limit, args.recipients, args.concurrency))
        else:
            async with postgres_database(args.database_url) as url:
                runs.append(await measure(url, limit, args.recipients, args.concurrency))
    return runs


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.outbox", description=__doc__)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument(
        "--rates", type=lambda v: [float(p) for p in v.split(",")], default=[30.0, 1000.0]
    )
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--concurrency", type=int, default=None)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    runs = asyncio.run(run_all(args))
    print("The outbox's sender against the stand-in, Telegram's limits ON (see bench/outbox.py)")
    print(table(runs, args.database))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
