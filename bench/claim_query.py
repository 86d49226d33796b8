"""How long the work loop's claim takes as a project grows: 10,000 items against 1,000,000.

Run: .venv/bin/python -m bench.claim_query [--sizes 10000,1000000] [--repeat 300]
     [--skipped 2000] [--database sqlite|postgres|both] [--postgres-url URL] [--explain]

Each size gets a fresh migrated database (SQLite: a temporary file; PostgreSQL: a scratch
database created on the server and dropped afterwards), filled in bulk with one SQL statement
per table (INSERT ... SELECT from generate_series / a recursive CTE). The queue looks like a
project well under way: the first 10% of items (in queue order) are complete, then come
--skipped open items (default 2,000), alternately ones the measuring worker already answered
and ones whose overlap is taken by others' leases; every claim must walk past those rows.
Another worker has answered every tenth item (assignment rows grow with the project).
`tasks.work.claim` then runs REPEAT times per size for the measuring worker, the sizes taking
turns (load elsewhere on the machine slows them alike), each claim in a transaction that is
rolled back, so every claim sees the same queue. The figure is the time of the claim
statement alone (p50, p99, nearest rank).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bench.throughput import postgres_database, sqlite_database
from core import db
from core.clock import SystemClock
from core.dbtypes import UTCDateTime
from people import accounts
from tasks import work
from tasks.models import WorkProject

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
PROJECT = "bench-claim"
WORKER, OTHER = 810_001, 810_002
SKIPPED = 2_000  # open rows ahead of the first claimable one: half answered by WORKER, half full
COMPLETE_SHARE = 0.10
OVERLAP = 3
GOAL_RATIO = 1.5

# The rows 1..:n, in SQL each database can run.
SERIES = {
    "postgresql": "SELECT g AS n FROM generate_series(1, :n) AS g",
    "sqlite": (
        "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :n) "
        "SELECT n FROM s"
    ),
}


@dataclass
class Timing:
    database: str
    items: int
    fill_seconds: float
    samples: list[float]  # seconds per claim

    def percentile(self, share: float) -> float:
        ordered = sorted(self.samples)
        rank = max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))
        return ordered[rank] * 1000


def spec() -> dict[str, object]:
    return {
        "id": PROJECT,
        "kind": "classification",
        "requires": [],
        "title": {"en": "Claim benchmark"},
        "instructions": {"en": "-"},
        "labels": [{"id": "a", "text": {"en": "a"}}, {"id": "b", "text": {"en": "b"}}],
        "reward": {"amount_minor": 1, "currency": "USD"},
        "overlap": OVERLAP,
        "lease_seconds": 300,
        "min_seconds": 0,
        "aggregation": "majority",
    }


async def fill(engine: AsyncEngine, items: int, skipped: int = SKIPPED) -> None:
    """The project, two workers and `items` items with their assignments, in bulk."""
    sessions = db.session_factory(engine)
    clock = SystemClock()
    now = clock.now()
    async with sessions() as session:
        for user_id in (WORKER, OTHER):
            await accounts.accept_consent(
                session, user_id=user_id, locale="en", invite_code=None, is_admin=False, clock=clock
            )
        data = spec()
        session.add(
            WorkProject(
                id=PROJECT,
                kind="classification",
                spec=data,
                spec_digest="bench",
                reward_minor=1,
                currency="USD",
                created_at=now,
            )
        )
        await session.commit()
    series = SERIES[engine.dialect.name]
    complete = int(items * COMPLETE_SHARE)
    skipped_end = complete + skipped
    if skipped_end >= items:
        raise ValueError(f"{items} items is too few: at least {skipped_end + 1} are needed")
    when = bindparam("now", type_=UTCDateTime)
    # Item n (1-based) is the n-th in queue order; ids follow n on a fresh database.
    # n <= complete: complete; then alternately answered by WORKER (odd) and full (even).
    insert_items = text(
        "INSERT INTO work_items (project_id, external_id, content, is_gold, priority, "
        "queue_rank, needed, answered, leased, state, created_at) "
        f"SELECT :project, 'i' || n, '{{}}', false, 0, 0, {OVERLAP}, "
        f"CASE WHEN n <= :complete THEN {OVERLAP} "
        "WHEN n <= :skipped_end THEN 1 ELSE 0 END, "
        f"CASE WHEN n > :complete AND n <= :skipped_end AND n % 2 = 0 THEN {OVERLAP - 1} "
        "ELSE 0 END, "
        "CASE WHEN n <= :complete THEN 'complete' ELSE 'open' END, :now "
        f"FROM ({series}) AS numbers"
    ).bindparams(when)
    assign = text(
        "INSERT INTO work_assignments (item_id, project_id, user_id, state, is_gold, leased_at, "
        "expires_at, answered_at, answer, answer_ms, too_fast) "
        "SELECT i.id, i.project_id, :user, 'answered', false, :now, :now, :now, '[\"a\"]', 2500, "
        "false FROM work_items i WHERE i.project_id = :project AND " + "{where}"
    ).bindparams(when)
    params = {"project": PROJECT, "now": now}
    async with engine.begin() as connection:
        await connection.execute(
            insert_items, {**params, "n": items, "complete": complete, "skipped_end": skipped_end}
        )
        first = (
            await connection.execute(
                text("SELECT min(id) FROM work_items WHERE project_id = :project"), params
            )
        ).scalar_one()
        offset = first - 1  # ids start where the table's sequence stood
        mine = text(
            assign.text.format(
                where=f"i.id - {offset} > {complete} AND i.id - {offset} <= {skipped_end} "
                f"AND (i.id - {offset}) % 2 = 1"
            )
        ).bindparams(when)
        theirs = text(assign.text.format(where=f"(i.id - {offset}) % 10 = 0")).bindparams(when)
        await connection.execute(mine, {**params, "user": WORKER})
        await connection.execute(theirs, {**params, "user": OTHER})
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(text("ANALYZE work_items"))
            await connection.execute(text("ANALYZE work_assignments"))
        else:
            await connection.execute(text("ANALYZE"))


async def claim_once(engine: AsyncEngine) -> tuple[float, int | None]:
    """One claim in a transaction rolled back: its seconds and the item it took."""
    async with AsyncSession(engine) as session:
        await session.begin()
        before = time.perf_counter()
        item = await work.claim(session, WORKER, PROJECT, "en", gold=False)
        elapsed = time.perf_counter() - before
        await session.rollback()
    return elapsed, item


async def explain(engine: AsyncEngine) -> str:
    """The claim's plan (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE, rolled back)."""
    name = engine.dialect.name
    statement = work._CLAIM[name].text
    params = {"project": PROJECT, "gold": False, "language": "en", "user": WORKER}
    prefix = "EXPLAIN QUERY PLAN " if name == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    async with engine.connect() as connection:
        rows = (await connection.execute(text(prefix + statement), params)).all()
        await connection.rollback()
    if name == "sqlite":
        return "\n".join(f"  {row[-1]}" for row in rows)
    return "\n".join(f"  {row[0]}" for row in rows)


async def measure(
    databases: list[str],
    sizes: list[int],
    repeat: int,
    postgres_url: str,
    show_plan: bool,
    say: Callable[[str], None],
    skipped: int = SKIPPED,
) -> list[Timing]:
    """Per database, every size filled first, then claims taken in turns across the sizes, so
    whatever else the machine does slows them alike."""
    scratch: dict[str, Callable[[], contextlib.AbstractAsyncContextManager[str]]] = {
        "sqlite": sqlite_database,
        "postgres": lambda: postgres_database(postgres_url),
    }
    timings: list[Timing] = []
    for database in databases:
        async with contextlib.AsyncExitStack() as stack:
            runs: list[tuple[Timing, AsyncEngine]] = []
            for items in sizes:
                url = await stack.enter_async_context(scratch[database]())
                engine = db.create_engine(url)
                stack.push_async_callback(engine.dispose)
                started = time.perf_counter()
                await fill(engine, items, skipped)
                filled = time.perf_counter() - started
                say(f"  {database}: {items:,} items filled in {filled:.1f} s")
                runs.append((Timing(database, items, filled, []), engine))
            say(f"  {database}: {repeat} claims per size, in turns")
            taken: dict[int, int | None] = {}
            for _ in range(repeat):
                for timing, engine in runs:
                    elapsed, item = await claim_once(engine)
                    if item is None or taken.setdefault(timing.items, item) != item:
                        raise AssertionError(f"claim took {item}: not the same open item each time")
                    timing.samples.append(elapsed)
            if show_plan:
                for timing, engine in runs:
                    plan = await explain(engine)
                    say(f"  plan on {database}, {timing.items:,} items:\n{plan}")
            timings += [timing for timing, _ in runs]
    return timings


def report(timings: list[Timing], skipped: int = SKIPPED) -> str:
    header = ("database", "items", "fill s", "claims", "p50 ms", "p99 ms", "p50 vs smallest")
    rows = [header]
    smallest: dict[str, Timing] = {}
    for timing in timings:
        base = smallest.setdefault(timing.database, timing)
        ratio = timing.percentile(0.5) / base.percentile(0.5)
        rows.append(
            (
                timing.database,
                f"{timing.items:,}",
                f"{timing.fill_seconds:.1f}",
                str(len(timing.samples)),
                f"{timing.percentile(0.5):.2f}",
                f"{timing.percentile(0.99):.2f}",
                f"{ratio:.2f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(
        [
            "",
            "tasks.work.claim for one worker, each in a transaction rolled back; every claim "
            f"walks past {skipped:,} open items the worker answered or that are full "
            f"(goal: the largest within {GOAL_RATIO}x the smallest).",
            "",
            *lines,
        ]
    )


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.claim_query", description=__doc__)
    parser.add_argument("--sizes", default="10000,1000000", help="item counts, comma separated")
    parser.add_argument("--repeat", type=int, default=300, help="claims timed per size")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRES,
        help="PostgreSQL server to create the scratch databases on (TEST_DATABASE_URL)",
    )
    parser.add_argument(
        "--skipped", type=int, default=SKIPPED, help="open rows every claim must walk past"
    )
    parser.add_argument("--explain", action="store_true", help="print each claim's plan")
    args = parser.parse_args(argv)
    args.sizes = [int(size.replace("_", "")) for size in args.sizes.split(",")]
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    timings = asyncio.run(
        measure(
            databases,
            args.sizes,
            args.repeat,
            args.postgres_url,
            args.explain,
            lambda line: print(line, flush=True),
            args.skipped,
        )
    )
    print(report(timings, args.skipped), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
