"""Databases for tests: SQLite always, PostgreSQL when TEST_DATABASE_URL is set.

Both are migrated by Alembic (never create_all): once per session into a template, then each
test gets a copy (SQLite) or emptied tables (PostgreSQL).

What never changes during a run (the course library read from courses/content and
tasks/projects) is read once per session and shared; the session checks at its end that no test
changed it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import ssl
import types
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiogram.client.session import aiohttp as aiogram_aiohttp
from aiogram.client.session.aiohttp import AiohttpSession
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import bot.schema  # noqa: F401
from bot.app import Runtime
from bot.settings import load_settings
from core import db
from core.clock import ManualClock
from courses.library import CourseLibrary, load_library
from tasks.catalog import DEFAULT_PROJECTS_DIR
from tasks.importer import ImportPlan, apply_import, plan_import

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
DATABASES = ["sqlite", "postgres"]
# Encrypts names at rest in tests; never a real key.
TEST_ENCRYPTION_KEY = "2U4XolCrVSxCMd07Ql2fGiAPqkMK-RkSNr1RVR1_sTk="


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """With TEST_DATABASE_URL set, a PostgreSQL test that skips is a failure (CI)."""
    report = yield
    if TEST_DATABASE_URL and report.skipped and "postgres" in item.nodeid:
        report.outcome = "failed"
        report.longrepr = f"PostgreSQL test skipped with TEST_DATABASE_URL set: {item.nodeid}"
    return report


# The longest tests, longest first (measured with --durations). Run first, they leave short
# tests to fill the end: pytest-xdist hands each worker a contiguous share of the collection
# and balances only by moving tests not yet started, so a long test late in a share is a tail
# the other worker cannot help with.
LONG_FIRST = (
    "tests/e2e/test_outbox_sigkill.py",
    "tests/e2e/test_payouts_sigkill.py",
    "tests/e2e/test_outbox.py",
    "tests/e2e/test_sigkill.py",
    "tests/tasks/test_ledger_properties.py",
    "tests/handlers/test_callback_fuzz.py",
    "tests/tasks/test_work_concurrency.py",
    "tests/test_outbox_bench_smoke.py",
    "tests/test_bench_smoke.py",
    "tests/e2e/test_course_edited.py",
    "tests/e2e/test_screens.py",
)


def _long_first_rank(item: pytest.Item) -> int:
    return next(
        (rank for rank, prefix in enumerate(LONG_FIRST) if item.nodeid.startswith(prefix + "::")),
        len(LONG_FIRST),
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_long_first_rank)  # stable: every other test keeps its place


async def _create_database(server_url: str, name: str) -> str:
    url = make_url(server_url)
    engine = db.create_engine(str(url), isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


async def _drop_database(server_url: str, name: str) -> None:
    engine = db.create_engine(server_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def _no_tls_grace_on_loopback() -> Iterator[None]:
    """aiogram waits 250 ms after closing a bot's HTTP session, for SSL connections to close
    (AiohttpSession.close). To the stand-in, plain HTTP on 127.0.0.1, there is none: every bot
    stopped or restarted in a test paid that wait for nothing. Any other address keeps it."""
    original = AiohttpSession.close

    async def close(self: AiohttpSession) -> None:
        if not self.api.base.startswith("http://127.0.0.1:"):
            await original(self)
        elif self._session is not None and not self._session.closed:
            await self._session.close()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(AiohttpSession, "close", close)
        yield


@pytest.fixture(scope="session", autouse=True)
def _one_tls_context_per_test_process() -> Iterator[None]:
    """Every aiogram Bot builds a TLS context from certifi's bundle (~30 ms of CPU here), and a
    bot started in a test builds two (its own and the outbox sender's). Tests talk plain HTTP to
    the stand-in and never use it; one context, built once, serves them all."""
    contexts: dict[tuple[object, ...], ssl.SSLContext] = {}

    def create_default_context(*args: object, **kwargs: object) -> ssl.SSLContext:
        key = (*args, *sorted(kwargs.items()))
        if key not in contexts:
            contexts[key] = ssl.create_default_context(*args, **kwargs)  # type: ignore[arg-type]
        return contexts[key]

    shim = types.SimpleNamespace(create_default_context=create_default_context)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(aiogram_aiohttp, "ssl", shim)
        yield


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    asyncio.run(db.upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    name = f"rafiq_test_{uuid.uuid4().hex[:10]}"
    url = asyncio.run(_create_database(TEST_DATABASE_URL, name))
    asyncio.run(db.upgrade(url))
    yield url
    asyncio.run(_drop_database(TEST_DATABASE_URL, name))


def _emptying_statement() -> str:
    """Every table emptied and every used sequence set back to its start, as `TRUNCATE ...
    RESTART IDENTITY` would, in one round trip. TRUNCATE of all tables takes about half a second
    (a new file per table); DELETE from the few tables a test filled takes milliseconds. A table
    whose trigger refuses DELETE (the append-only ledger) is truncated when it has rows."""
    tables = ", ".join(f"'{table.name}'" for table in reversed(SQLModel.metadata.sorted_tables))
    return f"""DO $$
DECLARE
    name text;
    filled boolean;
BEGIN
    FOREACH name IN ARRAY ARRAY[{tables}] LOOP
        EXECUTE format('SELECT EXISTS (SELECT FROM %I)', name) INTO filled;
        CONTINUE WHEN NOT filled;
        IF EXISTS (
            SELECT FROM pg_trigger
            WHERE tgrelid = to_regclass(quote_ident(name)) AND NOT tgisinternal
              AND tgtype & 8 <> 0
        ) THEN
            EXECUTE format('TRUNCATE %I CASCADE', name);
        ELSE
            EXECUTE format('DELETE FROM %I', name);
        END IF;
    END LOOP;
    PERFORM setval(format('%I.%I', schemaname, sequencename), start_value, false)
    FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL;
END $$"""


async def _empty_tables(url: str) -> None:
    engine = db.create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text(_emptying_statement()))
    await engine.dispose()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "rafiq.sqlite3"
        shutil.copy(template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_template")
    asyncio.run(_empty_tables(url))
    return url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="session")
def library() -> Iterator[CourseLibrary]:
    """The shipped courses and projects, read once (about 0.3 s a read); frozen dataclasses.
    At the end of the session a fresh read must still equal it: no test changed it."""
    shared = load_library()
    yield shared
    assert load_library() == shared, "a test changed the session's shared course library"


@pytest.fixture
async def runtime(
    database_url: str, clock: ManualClock, library: CourseLibrary
) -> AsyncIterator[Runtime]:
    settings = load_settings(
        database_url=database_url,
        admin_ids="900",
        encryption_keys=TEST_ENCRYPTION_KEY,
        _env_file=None,
    )
    rt = Runtime.create(settings, clock=clock, library=library)
    yield rt
    await rt.close()


@pytest.fixture(scope="session")
def shipped_plans() -> list[ImportPlan]:
    """The shipped projects read and their images prepared once for the whole session."""
    return [
        plan_import(spec.parent) for spec in sorted(DEFAULT_PROJECTS_DIR.glob("*/project.yaml"))
    ]


@pytest.fixture
async def work_projects(runtime: Runtime, shipped_plans: list[ImportPlan]) -> list[str]:
    """The shipped projects (tasks/projects/) in the test's database; their ids."""
    async with runtime.sessions() as session:
        for plan in shipped_plans:
            await apply_import(session, plan, runtime.clock.now())
        await session.commit()
    return [plan.spec.id for plan in shipped_plans]
