"""Actions per second and reaction times of the bot beside an aiogram echo bot.

Run: .venv/bin/python -m bench.throughput [--users 50] [--seconds 10 | --actions N]
     [--database sqlite|postgres|both] [--database-url URL]

Both bots long-poll the project's Telegram stand-in (standin/) over real HTTP on 127.0.0.1, in
this one process and event loop, with Telegram's rate limits switched off so they do not cap the
figures. Simulated users all press at once; see bench/README.md for what the figures mean.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.cpu_meter import CpuMeter, CpuSample
from bench.echo_bot import BACK, NEXT, EchoBot
from bot.app import PollingBot, Runtime
from bot.settings import load_settings
from core import db
from core.i18n import gettext, use_locale
from courses.content_model import Course
from standin.client import SimUser
from standin.server import StandIn

TOKEN = "1000000001:bench-token-for-the-local-stand-in-only"
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
FIRST_USER_ID = 500_000
PRESS_TIMEOUT = 120.0
WARMUP_PRESSES = 2  # per user, before the clock starts: connection pools and caches fill up


@dataclass
class Result:
    bot: str
    database: str
    users: int
    latencies: list[float]  # seconds, one per press
    elapsed: float  # seconds of the measured period
    failures: int
    cpu: CpuSample | None = None  # where the measured period's CPU went

    def cpu_ms(self) -> tuple[float, float, float]:
        """CPU milliseconds per action: (the process, the database layer, sqlite3 within it)."""
        nothing = (float("nan"),) * 3
        return self.cpu.per(self.actions) if self.cpu else nothing  # type: ignore[return-value]

    @property
    def actions(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.actions / self.elapsed if self.elapsed > 0 else 0.0

    def percentile(self, share: float) -> float:
        """Milliseconds below which `share` of the reactions fall (nearest rank)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))
        return ordered[rank] * 1000


@dataclass(frozen=True)
class Load:
    users: int
    seconds: float | None
    actions: int | None


# the measured loop


async def press_at_once(users: list[SimUser], labels: tuple[str, str], load: Load) -> Result:
    """Every user turns pages (labels[0], labels[1], labels[0], ...) as fast as the bot answers,
    all at once, until the time or the action budget is spent."""
    latencies: list[float] = []
    failures = 0
    budget = load.actions
    started = time.perf_counter()
    deadline = started + load.seconds if load.seconds is not None else None

    async def one_user(user: SimUser) -> None:
        nonlocal budget, failures
        turn = 0
        while True:
            if deadline is not None and time.perf_counter() >= deadline:
                return
            if budget is not None:
                if budget <= 0:
                    return
                budget -= 1
            label = labels[turn % 2]
            before = time.perf_counter()
            try:
                await user.press(label)
            except Exception as error:
                failures += 1
                print(f"  press failed for {user!r}: {type(error).__name__}: {error}")
                return
            latencies.append(time.perf_counter() - before)
            turn += 1

    with CpuMeter().measuring() as cpu:
        await asyncio.gather(*(one_user(user) for user in users))
    elapsed = time.perf_counter() - started
    return Result("", "", len(users), latencies, elapsed, failures, cpu[0])


async def warm_up(users: list[SimUser], labels: tuple[str, str]) -> None:
    async def one(user: SimUser) -> None:
        for turn in range(WARMUP_PRESSES):
            await user.press(labels[turn % 2])

    await asyncio.gather(*(one(user) for user in users))


def make_users(standin: StandIn, count: int) -> list[SimUser]:
    users = [standin.user(FIRST_USER_ID + n, first_name=f"Bench {n}") for n in range(count)]
    for user in users:
        user.timeout = PRESS_TIMEOUT
    return users


# the echo bot


async def run_echo(load: Load) -> Result:
    standin = StandIn(rate_limits=None)
    await standin.start()
    echo = EchoBot(TOKEN, standin.api_base, on_handled=standin.handled_reporter(TOKEN))
    await echo.start()
    try:
        users = make_users(standin, load.users)
        await asyncio.gather(*(user.send("/start") for user in users))
        await warm_up(users, (NEXT, BACK))
        result = await press_at_once(users, (NEXT, BACK), load)
    finally:
        await echo.stop()
        await standin.stop()
    result.bot, result.database = "aiogram echo", "-"
    return result


# the real bot


def t(message: str) -> str:
    with use_locale("en"):
        return gettext(message)


def text_page_pair(course: Course) -> int:
    """The first page p such that pages p and p+1 are both text: turning between them is an edit
    of the message text, as the echo bot's is."""
    pages = [page for lesson in course.lessons for page in lesson.pages]
    for index in range(len(pages) - 1):
        if pages[index].image is None and pages[index + 1].image is None:
            return index
    raise LookupError(f"{course.id} has no two text pages in a row")


async def prepare_user(user: SimUser, course: Course, start_page: int) -> None:
    """Onboard (/start, English, agree), open the course and go to the page where the loop runs."""
    await user.send("/start")
    await user.press("English")
    await user.press(t("✅ I agree"))
    await user.send("/learn")
    title = course.title.get("en") or next(iter(course.title.values()))
    label = next(label for label in user.last.labels if title in label)
    await user.press(label)
    for _ in range(start_page):
        await user.press(t("Next ➡️"))


async def run_bot(database: str, url: str, load: Load) -> Result:
    settings = load_settings(database_url=url, admin_ids="900", flood_limit=0, _env_file=None)
    runtime = Runtime.create(settings)
    standin = StandIn(rate_limits=None)
    await standin.start()
    polling = PollingBot(
        runtime,
        TOKEN,
        standin.api_base,
        one_update_at_a_time=False,
        on_handled=standin.handled_reporter(TOKEN),
    )
    await polling.start()
    try:
        course = runtime.library.courses[0]
        start_page = text_page_pair(course)
        users = make_users(standin, load.users)
        await asyncio.gather(*(prepare_user(user, course, start_page) for user in users))
        labels = (t("Next ➡️"), t("⬅️ Back"))
        await warm_up(users, labels)
        result = await press_at_once(users, labels, load)
    finally:
        await polling.stop()
        await standin.stop()
        await runtime.close()
    result.bot, result.database = "Rafiq", database
    return result


# databases


@contextlib.asynccontextmanager
async def sqlite_database() -> AsyncIterator[str]:
    with tempfile.TemporaryDirectory(prefix="rafiq-bench-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        await db.upgrade(url)
        yield url


@contextlib.asynccontextmanager
async def postgres_database(server_url: str) -> AsyncIterator[str]:
    """A fresh database on the server for this run, dropped afterwards."""
    name = f"rafiq_bench_{uuid.uuid4().hex[:10]}"
    admin = db.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        try:
            await db.upgrade(url)
            yield url
        finally:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


# the table


def table(results: list[Result], echo: Result, noun: str = "actions") -> str:
    """The results beside the echo bot's; `noun` names what was counted (actions, answers)."""
    header = (
        "bot",
        "database",
        "users",
        noun,
        f"{noun}/s",
        "p50 ms",
        "p99 ms",
        "vs echo",
        "CPU ms",
        "db ms",
        "sqlite ms",
    )
    rows = [header]
    for result in results:
        ratio = result.rate / echo.rate if echo.rate else float("nan")
        cpu, database, sqlite = result.cpu_ms()
        on_sqlite = result.database == "sqlite"
        rows.append(
            (
                result.bot,
                result.database,
                str(result.users),
                str(result.actions),
                f"{result.rate:.0f}",
                f"{result.percentile(0.50):.0f}",
                f"{result.percentile(0.99):.0f}",
                f"{ratio:.2f}",
                f"{cpu:.2f}",
                f"{database:.2f}" if on_sqlite else "-",
                f"{sqlite:.2f}" if on_sqlite else "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def cpu_lines(results: list[Result], echo: Result, noun: str = "action") -> list[str]:
    """What the CPU columns mean, and the most a free database layer could give."""
    lines = [
        f"CPU ms: CPU of the whole process (bot, stand-in, simulated users) per {noun}; "
        "db ms: the part inside SQLAlchemy and SQLite; sqlite ms: SQLite's own part of that "
        "(both measured on SQLite only, bench/cpu_meter.py).",
    ]
    echo_cpu = echo.cpu_ms()[0]
    for result in results:
        cpu, database, sqlite = result.cpu_ms()
        if result.database != "sqlite" or not cpu > database > sqlite > 0:
            continue
        lines.append(
            f"Rafiq on sqlite: {cpu - database:.2f} ms per {noun} outside the database layer, "
            f"against the echo bot's {echo_cpu:.2f} ms for everything: at most "
            f"{echo_cpu / (cpu - database):.2f} of its rate if the database layer cost nothing, "
            f"{echo_cpu / (cpu - database + sqlite):.2f} if SQLAlchemy cost nothing and SQLite "
            "stayed."
        )
    return lines


async def measure(
    databases: list[str], postgres_url: str, load: Load, say: Callable[[str], None]
) -> list[Result]:
    say(f"measuring the aiogram echo bot, {load.users} users ...")
    echo = await run_echo(load)
    results = [echo]
    runs: dict[str, Callable[[], contextlib.AbstractAsyncContextManager[str]]] = {
        "sqlite": sqlite_database,
        "postgres": lambda: postgres_database(postgres_url),
    }
    for database in databases:
        say(f"measuring Rafiq on {database}, {load.users} users ...")
        async with runs[database]() as url:
            results.append(await run_bot(database, url, load))
    return results


def report(results: list[Result], load: Load) -> str:
    echo = results[0]
    budget = f"{load.seconds:g} s" if load.seconds is not None else f"{load.actions} presses"
    lines = [
        "",
        f"{load.users} simulated users pressing at once, {budget} per bot, one process, "
        "stand-in on 127.0.0.1 with Telegram's rate limits OFF.",
        "An action is one button press: answerCallbackQuery + editMessageText with a keyboard.",
        "Reaction: from the press until the bot reports the update handled (bench/README.md).",
        "",
        table(results, echo),
        "",
        *cpu_lines(results[1:], echo),
    ]
    failed = sum(r.failures for r in results)
    if failed:
        lines.append(f"\n{failed} press(es) failed; see above.")
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--seconds", type=float, help="measured period per bot (default 10)")
    budget.add_argument("--actions", type=int, help="presses per bot, across all users")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_POSTGRES),
        help="PostgreSQL server to create the run's database on (BENCH_DATABASE_URL)",
    )
    args = parser.parse_args(argv)
    if args.seconds is None and args.actions is None:
        args.seconds = 10.0
    if args.users < 1:
        parser.error("--users must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    load = Load(args.users, args.seconds, args.actions)
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    results = asyncio.run(
        measure(databases, args.database_url, load, lambda line: print(line, flush=True))
    )
    print(report(results, load), flush=True)
    return 1 if any(r.failures for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
