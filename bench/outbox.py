"""The outbox's sender at Telegram's pace: achieved messages a second against the configured limit.

Run: .venv/bin/python -m bench.outbox [--recipients 10000] [--rates 30,1000]
     [--database sqlite|postgres] [--database-url URL] [--concurrency N] [--same-process]

For each rate: a fresh migrated database holding `--recipients` people and one broadcast row
each; the project's Telegram stand-in on 127.0.0.1 with its global limit at that rate (and one
message a second per chat); the sender (bot/sender.py) with OUTBOX_RATE at that rate and the
default reply reserve, real clock, real sleep, draining until nothing waits. The table gives the
achieved rate as a share of the limit and the 429s the stand-in answered, in the first second
and after it.

The stand-in runs in a process of its own (as Telegram is not in the bot's process): at 1000/s a
stand-in sharing the bot's process and core takes half of it. `--same-process` runs both in one.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from bench.throughput import DEFAULT_POSTGRES, postgres_database, sqlite_database
from bot.app import Runtime
from bot.sender import OutboxSender, SenderConfig, build_sender_bot
from bot.settings import load_settings
from core import db
from standin.ratelimit import RateLimits
from standin.server import StandIn
from tests.outbox_helpers import LOCALES, TELEGRAM_CODES, CallLog, enqueue_broadcast, states
from tests.outbox_helpers import add_people as add_people_here

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


def _standin_process(limit: float, ids: list[int], pipe: Connection) -> None:
    """The stand-in in a process of its own: sends its address, serves until told to stop,
    then sends back when (time.monotonic, the same clock in every process) it answered 429."""

    async def serve() -> None:
        server = StandIn(rate_limits=RateLimits(global_per_second=limit), clock=time.monotonic)
        log = CallLog(server, time.monotonic)
        for n, uid in enumerate(ids):
            server.user(uid, language_code=TELEGRAM_CODES[LOCALES[n % len(LOCALES)]])
        await server.start()
        pipe.send(server.api_base)
        await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        pipe.send([c.at for c in log.sends(429)])
        await server.stop()

    asyncio.run(serve())


class StandInProcess:
    WAIT = 60.0  # seconds for the child to start or to report; it never takes a tenth of that

    def __init__(self, limit: float, ids: list[int]) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(
            target=_standin_process, args=(limit, ids, child), daemon=True
        )
        self._process.start()
        child.close()  # only the child holds its end: its death ends our recv (EOFError)
        self.api_base: str = self._receive()

    def _receive(self) -> Any:
        if not self._pipe.poll(self.WAIT):
            self._process.kill()
            raise RuntimeError("the stand-in process did not answer")
        return self._pipe.recv()

    def refused(self) -> list[float]:
        self._pipe.send("stop")
        at: list[float] = self._receive()
        self._process.join(timeout=10)
        return at


async def measure(
    url: str, limit: float, recipients: int, concurrency: int | None, same_process: bool
) -> Run:
    await db.upgrade(url)
    settings = load_settings(_env_file=None, database_url=url, outbox_rate=limit)
    runtime = Runtime.create(settings)
    ids = list(range(FIRST_USER_ID, FIRST_USER_ID + recipients))
    server: StandIn | None = None
    apart: StandInProcess | None = None
    if same_process:
        server = StandIn(rate_limits=RateLimits(global_per_second=limit), clock=time.monotonic)
        await server.start()
        log = CallLog(server, time.monotonic)
        locales = await add_people_here(runtime.sessions, server, ids, runtime.clock.now())
        api_base = server.api_base
    else:
        apart = StandInProcess(limit, ids)
        locales = await add_people(runtime.sessions, ids, runtime.clock.now())
        api_base = apart.api_base
    try:
        await enqueue_broadcast(runtime.sessions, locales, runtime.clock.now())
        config = SenderConfig.from_settings(settings)
        if concurrency is None:  # enough in flight for the rate at a few ms a request
            concurrency = max(config.concurrency, math.ceil(limit / 20))
        sender = OutboxSender(
            runtime.sessions,
            runtime.gate,
            build_sender_bot(TOKEN, api_base),
            runtime.clock,
            SenderConfig(**{**config.__dict__, "concurrency": concurrency}),
            postgres=url.startswith("postgresql"),
        )
        started, cpu = time.monotonic(), time.process_time()
        await sender.run(until_empty=True)
        seconds = time.monotonic() - started
        cpu = time.process_time() - cpu
        await sender.bot.session.close()
        if apart is not None:
            refused = [at - started for at in apart.refused()]
            apart = None
        else:
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
        if server is not None:
            await server.stop()
        if apart is not None:
            apart.refused()
        await runtime.close()


async def add_people(sessions: db.SessionFactory, ids: list[int], now: object) -> dict[int, str]:
    """The people, in the database only (the stand-in process knows them already)."""
    from people.models import User

    locales = {uid: LOCALES[n % len(LOCALES)] for n, uid in enumerate(ids)}
    async with sessions() as session:
        session.add_all(User(id=uid, locale=loc, consented_at=now) for uid, loc in locales.items())
        await session.commit()
    return locales


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
                runs.append(
                    await measure(url, limit, args.recipients, args.concurrency, args.same_process)
                )
        else:
            async with postgres_database(args.database_url) as url:
                runs.append(
                    await measure(url, limit, args.recipients, args.concurrency, args.same_process)
                )
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
    parser.add_argument("--same-process", action="store_true", help="the stand-in in this process")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    runs = asyncio.run(run_all(args))
    where = "in this process" if args.same_process else "in its own process"
    print(f"The outbox's sender against the stand-in ({where}), Telegram's limits ON")
    print(table(runs, args.database))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
