"""Answers per second of the work loop beside an aiogram echo bot, through the stand-in.

Run: .venv/bin/python -m bench.work_throughput [--users 50] [--items 5000]
     [--seconds 10 | --answers N] [--database sqlite|postgres|both] [--postgres-url URL]
     [--think SECONDS]

The real bot long-polls the project's Telegram stand-in (standin/) over real HTTP on 127.0.0.1,
in this one process and event loop, with Telegram's rate limits off, on a fresh migrated
database holding one text-only classification project of --items items (overlap 3, a tenth of
them gold). --users simulated workers are onboarded through the bot (/start, English, agree),
given the project's skill directly (user_skills rows, as a passed course would), open the
project (/work, the project, Start) and then all at once press the first label of the item
card they see, again as soon as the bot has handled the press and shown the next card. The
echo bot (bench/echo_bot.py) is measured the same way on its own stand-in: a press is answered
and its message edited. See bench/README.md for what the figures mean.

With --think, each worker looks at a card for a while before pressing (between 0.5 and 1.5 times
SECONDS, drawn at random; the first press spread over the first SECONDS), as people do: the
figures are then what that many workers at that pace see, the load one process carries, and the
echo bot is not run (its rate would be the workers' pace).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, insert, select

from bench.cpu_meter import CpuMeter, CpuSample
from bench.throughput import (
    Load,
    Result,
    cpu_lines,
    make_users,
    postgres_database,
    run_echo,
    sqlite_database,
    t,
)
from bench.throughput import table as result_table
from bot.app import PollingBot, Runtime
from bot.settings import load_settings
from courses.models import UserSkill
from handlers.callbacks import WorkAnswer, WorkNext
from handlers.work import KIND_ICONS
from standin.client import SimUser
from standin.server import StandIn
from tasks.models import Assignment, AssignmentState, WorkItem, WorkProject

TOKEN = "1000000002:bench-token-for-the-local-stand-in-only"
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
PROJECT = "bench-letters"
SKILL = "bench-labelling"
LABELS = ("A", "B", "C", "D")
OVERLAP = 3
GOLD_EVERY = 10  # every tenth item is gold, its answer the first label (the workers' choice)
WARMUP_ANSWERS = 2  # per worker, before the clock starts
ANSWER_PREFIX = WorkAnswer.__prefix__ + WorkAnswer.__separator__
NEXT_PREFIX = WorkNext.__prefix__ + WorkNext.__separator__


def spec() -> dict[str, object]:
    every = ("en", "ar", "fa_AF", "uk")
    return {
        "id": PROJECT,
        "kind": "classification",
        "requires": [SKILL],
        "title": dict.fromkeys(every, "Letters"),
        "instructions": dict.fromkeys(every, "Which letter is it?"),
        "labels": [{"id": label, "text": dict.fromkeys(every, label)} for label in LABELS],
        "reward": {"amount_minor": 2, "currency": "USD"},
        "overlap": OVERLAP,
        "max_overlap": OVERLAP + 2,
        "min_agreement": 0.67,
        "gold_share": 0.1,
        "min_gold_accuracy": 0.7,
        "lease_seconds": 300,
        "grace_seconds": 120,
        "min_seconds": 0,  # simulated workers answer in milliseconds; count their answers
        "aggregation": "majority",
    }


async def add_project(runtime: Runtime, items: int, workers: list[int]) -> None:
    """The project, its items in bulk, and the skill for every worker."""
    now = datetime.now(UTC)
    data = spec()
    async with runtime.sessions() as session:
        session.add(
            WorkProject(
                id=PROJECT,
                kind="classification",
                spec=data,
                spec_digest="bench",
                reward_minor=2,
                currency="USD",
                created_at=now,
            )
        )
        await session.flush()
        rows = [
            {
                "project_id": PROJECT,
                "external_id": f"i{n}",
                "content": {"text": f"Item {n}: {LABELS[n % len(LABELS)]}"},
                "is_gold": n % GOLD_EVERY == 0,
                "gold": [LABELS[0]] if n % GOLD_EVERY == 0 else None,
                "needed": OVERLAP,
                "created_at": now,
            }
            for n in range(items)
        ]
        await session.execute(insert(WorkItem), rows)
        await session.execute(
            insert(UserSkill),
            [
                {"user_id": user, "skill": SKILL, "course_id": "bench", "granted_at": now}
                for user in workers
            ],
        )
        await session.commit()


async def onboard(user: SimUser) -> None:
    await user.send("/start")
    await user.press("English")
    await user.press(t("✅ I agree"))


async def open_project(user: SimUser) -> None:
    await user.send("/work")
    await user.press(f"{KIND_ICONS['classification']} Letters")
    await user.press(t("▶️ Start"))


@dataclass
class Counts:
    answers: int = 0  # label presses handled, each followed by a card or a feedback screen
    next_presses: int = 0  # "Next" after a control item's feedback (not counted as answers)
    stale: int = 0  # after an answer the same assignment was still on the card
    finished: int = 0  # workers who found no item left
    latencies: list[float] = field(default_factory=list)
    cpu: CpuSample | None = None  # where the measured period's CPU went


def card_button(user: SimUser) -> tuple[int, str, str] | None:
    """The worker's card: (message id, label, callback data) of its first answer button, or
    of "Next" on a control item's feedback; None when there is nothing to press."""
    card = user.last
    buttons = [button for row in card.buttons for button in row if button.callback_data]
    for prefix in (ANSWER_PREFIX, NEXT_PREFIX):
        for button in buttons:
            assert button.callback_data is not None
            if button.callback_data.startswith(prefix):
                return card.message_id, button.text, button.callback_data
    return None


async def answer_once(user: SimUser, counts: Counts) -> bool:
    """Press the card's first label (or Next); False when no item is left for the worker."""
    found = card_button(user)
    if found is None:
        counts.finished += 1
        return False
    message_id, label, data = found
    before = time.perf_counter()
    await user.press(label, message_id=message_id)
    elapsed = time.perf_counter() - before
    if data.startswith(NEXT_PREFIX):
        counts.next_presses += 1
        return True
    counts.answers += 1
    counts.latencies.append(elapsed)
    after = card_button(user)
    if after is not None and after[2] == data:
        counts.stale += 1
    return True


async def answer_at_once(
    users: list[SimUser], load: Load, think: float = 0.0
) -> tuple[Counts, float, int]:
    """Every worker answers until the budget is spent; with `think`, after a pause each time."""
    counts = Counts()
    pauses = random.Random(7)
    failures = 0
    budget = load.actions
    started = time.perf_counter()
    deadline = started + load.seconds if load.seconds is not None else None

    async def one(user: SimUser) -> None:
        nonlocal budget, failures
        if think:
            await asyncio.sleep(pauses.uniform(0, think))
        while deadline is None or time.perf_counter() < deadline:
            if budget is not None:
                if budget <= 0:
                    return
                budget -= 1
            try:
                if not await answer_once(user, counts):
                    return
            except Exception as error:
                failures += 1
                print(f"  press failed for {user!r}: {type(error).__name__}: {error}")
                return
            if think:
                await asyncio.sleep(pauses.uniform(0.5, 1.5) * think)

    with CpuMeter().measuring() as cpu:
        await asyncio.gather(*(one(user) for user in users))
    counts.cpu = cpu[0]
    return counts, time.perf_counter() - started, failures


@dataclass
class WorkResult:
    result: Result
    counts: Counts
    stored: int  # answered assignments in the database after the run


async def answered(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        query = select(func.count()).where(Assignment.state == AssignmentState.ANSWERED)
        return int((await session.execute(query)).scalar_one())


async def run_bot(
    database: str, url: str, load: Load, items: int, think: float = 0.0
) -> WorkResult:
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
        users = make_users(standin, load.users)
        await asyncio.gather(*(onboard(user) for user in users))
        await add_project(runtime, items, [user.id for user in users])
        await asyncio.gather(*(open_project(user) for user in users))
        warm = Counts()
        for _ in range(WARMUP_ANSWERS):
            await asyncio.gather(*(answer_once(user, warm) for user in users))
        before = await answered(runtime)
        counts, elapsed, failures = await answer_at_once(users, load, think)
        stored = await answered(runtime) - before
    finally:
        await polling.stop()
        await standin.stop()
        await runtime.close()
    result = Result("Rafiq", database, load.users, counts.latencies, elapsed, failures, counts.cpu)
    return WorkResult(result, counts, stored)


def table(results: list[WorkResult], echo: Result) -> str:
    return result_table([echo, *(r.result for r in results)], echo, noun="answers")


def report(echo: Result, results: list[WorkResult], load: Load, items: int) -> str:
    budget = f"{load.seconds:g} s" if load.seconds is not None else f"{load.actions} answers"
    lines = [
        "",
        f"{load.users} simulated workers answering at once, {budget} per bot, one process, "
        "stand-in on 127.0.0.1 with Telegram's rate limits OFF.",
        f"Rafiq: a project of {items} text items, overlap {OVERLAP}, a tenth gold; an answer is "
        "a label press: the answer stored, the next item leased and its card edited in place.",
        "aiogram echo: an action is a button press answered and its message edited.",
        "Reaction: from the press until the bot reports the update handled (the next card shown).",
        "Goals: answers/s at least half the echo bot's actions/s; p99 under 300 ms.",
        "",
        table(results, echo),
        "",
        *cpu_lines([r.result for r in results], echo, noun="answer"),
        "",
    ]
    for r in results:
        c = r.counts
        lines.append(
            f"Rafiq on {r.result.database}: {c.answers} answers pressed, {r.stored} stored as "
            f"answered in the measured period; {c.next_presses} Next after a control item; "
            f"{c.stale} answers left the same card; {c.finished} workers ran out of items."
        )
    failed = echo.failures + sum(r.result.failures for r in results)
    if failed:
        lines.append(f"{failed} press(es) failed; see above.")
    return "\n".join(lines)


def paced_report(results: list[WorkResult], load: Load, items: int, think: float) -> str:
    """The figures of workers who pause to look at each card (--think)."""
    budget = f"{load.seconds:g} s" if load.seconds is not None else f"{load.actions} answers"
    header = ("database", "workers", "pause s", "offered/s", "answers/s", "p50 ms", "p99 ms")
    rows = [(*header, "CPU ms", "CPU busy")]
    for r in results:
        result = r.result
        cpu = result.cpu.process if result.cpu else float("nan")
        rows.append(
            (
                result.database,
                str(result.users),
                f"{think:g}",
                f"{result.users / think:.0f}",
                f"{result.rate:.0f}",
                f"{result.percentile(0.50):.0f}",
                f"{result.percentile(0.99):.0f}",
                f"{result.cpu_ms()[0]:.2f}",
                f"{cpu / result.elapsed:.0%}" if result.elapsed else "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    table_lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    table_lines.insert(1, "  ".join("-" * w for w in widths))
    lines = [
        "",
        f"{load.users} simulated workers, each pausing {think / 2:g}-{think * 3 / 2:g} s on a "
        f"card before pressing, {budget}, one process, stand-in on 127.0.0.1 with Telegram's "
        f"rate limits OFF; a project of {items} text items.",
        "offered/s: the answers per second the workers' pace asks for; CPU busy: the process's "
        "CPU time over the measured period (100% = one core all the time).",
        "",
        *table_lines,
        "",
    ]
    for r in results:
        lines.append(
            f"Rafiq on {r.result.database}: {r.counts.answers} answers pressed, {r.stored} stored "
            "as answered in the measured period."
        )
    return "\n".join(lines)


async def measure(
    databases: list[str],
    postgres_url: str,
    load: Load,
    items: int,
    say: Callable[[str], None],
    think: float = 0.0,
) -> tuple[Result | None, list[WorkResult]]:
    echo = None
    if not think:
        say(f"measuring the aiogram echo bot, {load.users} users ...")
        echo = await run_echo(load)
    runs: dict[str, Callable[[], contextlib.AbstractAsyncContextManager[str]]] = {
        "sqlite": sqlite_database,
        "postgres": lambda: postgres_database(postgres_url),
    }
    results = []
    for database in databases:
        say(f"measuring Rafiq's work loop on {database}, {load.users} workers ...")
        async with runs[database]() as url:
            results.append(await run_bot(database, url, load, items, think))
    return echo, results


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.work_throughput", description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--items", type=int, default=5000, help="items in the project")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--seconds", type=float, help="measured period per bot (default 10)")
    budget.add_argument("--answers", type=int, help="answers per bot, across all workers")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="seconds a worker looks at a card before pressing, on average (default 0)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRES,
        help="PostgreSQL server to create the run's scratch database on (TEST_DATABASE_URL)",
    )
    args = parser.parse_args(argv)
    if args.seconds is None and args.answers is None:
        args.seconds = 10.0
    if args.users < 1 or args.items < 1:
        parser.error("--users and --items must be at least 1")
    if args.think < 0:
        parser.error("--think must not be negative")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    load = Load(args.users, args.seconds, args.answers)
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    echo, results = asyncio.run(
        measure(
            databases,
            args.postgres_url,
            load,
            args.items,
            lambda s: print(s, flush=True),
            args.think,
        )
    )
    if echo is None:
        print(paced_report(results, load, args.items, args.think), flush=True)
    else:
        print(report(echo, results, load, args.items), flush=True)
    failed = (echo is not None and echo.failures) or any(
        r.result.failures or r.counts.stale for r in results
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
