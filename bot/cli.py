"""`python -m bot`: run, sandbox, migrate and admin commands."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.progress_bar import ProgressBar
from bot.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from core.yaml_files import Problem

DESCRIPTION = """Rafiq, a Telegram workplace for learning and doing data-annotation work.

With no command: `run` when BOT_TOKEN is set, otherwise the offline `sandbox`."""


MIGRATE_DESCRIPTION = """Upgrade the database at DATABASE_URL (default: sqlite+aiosqlite:///data/rafiq.sqlite3)
to the newest schema: an empty database gets every table, an older one the migrations it lacks,
one already at the newest is left as it is. Prints one line: where the database is and its schema.

`run`, `sandbox`, `tasks` and `keys` upgrade first on their own; run this before starting a new
version of the bot in several processes, or to see which schema a database has."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser(
        "run",
        help="talk to Telegram: long polling, or webhook mode when WEBHOOK_URL is set "
        "(needs BOT_TOKEN; upgrades the database first)",
    )
    sandbox = sub.add_parser(
        "sandbox",
        help="chat with the bot in this terminal through the built-in Telegram stand-in "
        "(no token, no network; upgrades the database first)",
    )
    sandbox.add_argument("--user", default="Amina", help="first simulated user's name")
    sandbox.add_argument("--lang", default="ar", help="first simulated user's language_code")
    sub.add_parser(
        "migrate",
        help="upgrade the database at DATABASE_URL to the newest schema",
        description=MIGRATE_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    courses = sub.add_parser("courses", help="course content tools")
    courses_sub = courses.add_subparsers(dest="courses_command", metavar="ACTION", required=True)
    courses_sub.add_parser(
        "check",
        help="validate every course under courses/content/; names file and line for each problem",
    )
    tasks = sub.add_parser("tasks", help="labelling projects: import folders, export results")
    tasks_sub = tasks.add_subparsers(dest="tasks_command", metavar="ACTION", required=True)
    importing = tasks_sub.add_parser(
        "import",
        help="validate project folders (project.yaml, items, images) and import them; "
        "writes nothing when anything is wrong (upgrades the database first)",
    )
    importing.add_argument("folders", nargs="+", type=Path, metavar="FOLDER")
    exporting = tasks_sub.add_parser("export", help="write a project's labels to files")
    exporting.add_argument("project", metavar="PROJECT", help="the project id")
    exporting.add_argument(
        "--out", type=Path, default=None, help="folder for the files (default: exports/PROJECT)"
    )
    keys = sub.add_parser("keys", help="encryption keys of the names stored (ENCRYPTION_KEYS)")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    keys_sub.add_parser(
        "rotate",
        help="re-encrypt every stored name and payout detail with the newest key (the first of "
        "ENCRYPTION_KEYS); "
        "also encrypts names stored before encryption",
    )
    _payouts_parser(sub)
    i18n = sub.add_parser("i18n", help="translation catalogs under locales/")
    i18n_sub = i18n.add_subparsers(dest="i18n_command", metavar="ACTION", required=True)
    i18n_sub.add_parser(
        "update", help="extract the source strings and merge them into every catalog"
    )
    i18n_sub.add_parser("compile", help="compile the .po catalogs to .mo")
    return parser


def _payouts_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    payouts = sub.add_parser("payouts", help="weekly payouts: run, list, confirm paid or failed")
    payouts_sub = payouts.add_subparsers(dest="payouts_command", metavar="ACTION", required=True)
    run = payouts_sub.add_parser(
        "run",
        help="pay every worker whose available balance reaches PAYOUT_MINIMUM and who has a "
        "payout method, once per week; writes the batch CSV for finance (mode 0600: it holds "
        "the full payout details)",
    )
    run.add_argument("--period", default=None, help="the week, YYYY-Www (default: this week)")
    run.add_argument(
        "--out", type=Path, default=None, help="folder for the batch file (default: PAYOUTS_DIR)"
    )
    listing = payouts_sub.add_parser(
        "list",
        help="the batches (one per week and currency) with their counts; with --period or "
        "--state, the payouts themselves",
    )
    listing.add_argument("--period", default=None, help="only this week's payouts, YYYY-Www")
    listing.add_argument("--state", choices=("in_payout", "paid", "failed"), default=None)
    confirm = payouts_sub.add_parser(
        "confirm",
        help="mark payouts paid, or failed with a reason (the money goes back): the ones named, "
        "or with --period every payout of that week still on its way",
    )
    confirm.add_argument("payout_ids", nargs="*", type=int, metavar="PAYOUT_ID")
    confirm.add_argument("--period", default=None, help="the whole batch of this week, YYYY-Www")
    confirm.add_argument("--currency", default=None, help="with --period: only this currency")
    outcome = confirm.add_mutually_exclusive_group(required=True)
    outcome.add_argument("--paid", action="store_true")
    outcome.add_argument("--failed", metavar="REASON", default=None)
    for each in (run, confirm):
        each.add_argument(
            "--by", default=None, help="who does this, for the audit log (default: login name)"
        )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "courses":
        from courses.check import run_check
        from courses.loader import DEFAULT_CONTENT_ROOT
        from tasks.catalog import DEFAULT_PROJECTS_DIR

        return run_check(DEFAULT_CONTENT_ROOT, DEFAULT_PROJECTS_DIR, sys.stdout)
    if args.command == "i18n":
        from bot import catalogs

        if args.i18n_command == "update":
            catalogs.update()
            return 0
        return catalogs.compile_all()
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    from bot.logs import configure_logging

    token = settings.bot_token.get_secret_value() if settings.bot_token else ""
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    command = args.command or ("run" if settings.bot_token else "sandbox")
    quiet = command in ("sandbox", "tasks", "migrate", "payouts")
    configure_logging(logging.WARNING if quiet else logging.INFO, [token, secret])
    if command == "migrate":
        return asyncio.run(_migrate(settings.database_url))
    if command == "tasks":
        if args.tasks_command == "import":
            return asyncio.run(_import_projects(settings, args.folders))
        return asyncio.run(_export_project(settings, args.project, args.out))
    if command == "payouts":
        from bot.payouts_cli import payouts_command

        return asyncio.run(payouts_command(settings, args))
    if command == "keys":
        count = asyncio.run(_rotate_keys(settings))
        print(f"Re-encrypted {count} names and payout details with the newest key.")
        return 0
    if command == "run":
        if settings.bot_token is None:
            print(
                "Configuration error: BOT_TOKEN: missing; "
                "set it to the token @BotFather gave you, or use `python -m bot sandbox`",
                file=sys.stderr,
            )
            return 2
        if not settings.encryption_keys:
            print(
                "Configuration error: ENCRYPTION_KEYS: missing; talking to Telegram needs keys "
                "of your own for the names stored (the key in data/ is for the sandbox only)",
                file=sys.stderr,
            )
            return 2
        asyncio.run(_run(settings))
        return 0
    from bot.sandbox import run_sandbox

    first_user = (getattr(args, "user", "Amina"), getattr(args, "lang", "ar"))
    asyncio.run(run_sandbox(settings, first_user=first_user))
    return 0


def shown_url(url: str) -> str:
    """The database URL as said to a person: without the driver name or a password."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.set(drivername=parsed.get_backend_name()).render_as_string(hide_password=True)


def describe_migration(url: str, before: str | None, after: str | None) -> str:
    """One line on what `migrate` did, from the schema revisions before and after."""
    where = f"Database at {shown_url(url)}"
    if before == after:
        return f"{where} is at the newest schema ({after})."
    if before is None:
        return f"{where} was empty; it now has the newest schema ({after})."
    return f"{where} upgraded from schema {before} to the newest ({after})."


async def schema_revision(url: str) -> str | None:
    """The Alembic revision a database is at; None when it has none (empty or new)."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy.engine import Connection

    from core import db

    def current(connection: Connection) -> str | None:
        heads = MigrationContext.configure(connection).get_current_heads()
        return "+".join(sorted(heads)) or None

    engine = db.create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(current)
    finally:
        await engine.dispose()


async def _migrate(url: str) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from core import db

    try:
        before = await schema_revision(url)
        await db.upgrade(url)
        after = await schema_revision(url)
    except (SQLAlchemyError, OSError) as error:
        print(f"Cannot upgrade the database at {shown_url(url)}: {error}", file=sys.stderr)
        return 1
    print(describe_migration(url, before, after))
    return 0


async def _rotate_keys(settings: Settings) -> int:
    from sqlmodel import SQLModel

    import bot.schema  # noqa: F401 - every table with a name column
    from core import crypto, db

    await db.upgrade(settings.database_url)
    crypto.configure(settings.encryption_key_list() or [crypto.local_key()])
    engine = db.create_engine(settings.database_url)
    try:
        async with db.session_factory(engine)() as session:
            count = await crypto.rotate(session, SQLModel.metadata)
            await session.commit()  # a command, not an update: this is its boundary
    finally:
        await engine.dispose()
    return count


async def _import_projects(settings: Settings, folders: list[Path]) -> int:
    """Check every folder, then import them all in one transaction, or nothing."""
    import bot.schema  # noqa: F401 - every table the items refer to
    from core import clock, db
    from core.yaml_files import Problem
    from tasks import importer

    plans: list[importer.ImportPlan] = []
    problems: list[Problem] = []
    for folder in folders:
        progress = ProgressBar(str(folder), "images")
        try:
            plans.append(await asyncio.to_thread(importer.plan_import, folder, progress))
        except importer.ImportProblems as error:
            problems.extend(error.problems)
        finally:
            progress.end()
    ids = [plan.spec.id for plan in plans]
    for plan in plans:
        if ids.count(plan.spec.id) > 1:
            message = f'project "{plan.spec.id}" is in more than one of the folders given'
            problems.append(Problem(plan.spec_path, plan.lines.get("id"), message))
    if problems:
        return _refuse(problems)
    await db.upgrade(settings.database_url)
    engine = db.create_engine(settings.database_url)
    try:
        async with db.session_factory(engine)() as session:
            for plan in plans:
                problems.extend(await importer.check_against_database(session, plan))
            if problems:
                return _refuse(problems)
            summaries = []
            now = clock.SystemClock().now()
            for plan in plans:
                progress = ProgressBar(plan.spec.id, "items")
                summaries.append(await importer.apply_import(session, plan, now, progress))
                progress.end()
            await session.commit()  # a command, not an update: this is its boundary
    finally:
        await engine.dispose()
    for summary in summaries:
        print(importer.describe_summary(summary))
    return 0


def _refuse(problems: list[Problem]) -> int:
    for problem in problems:
        print(problem)
    count = len(problems)
    print(f"{count} problem{'' if count == 1 else 's'}; nothing imported.")
    return 1


async def _export_project(settings: Settings, project_id: str, out: Path | None) -> int:
    """Aggregate a project's answers (stored: committed here) and write its files."""
    import bot.schema  # noqa: F401 - every table the export reads
    from core import db
    from tasks.export import export_project

    await db.upgrade(settings.database_url)
    engine = db.create_engine(settings.database_url)
    progress = ProgressBar(project_id, "items")
    try:
        async with db.session_factory(engine)() as session:
            try:
                out_dir = out or Path("exports") / project_id
                paths = await export_project(session, project_id, out_dir, progress)
            except LookupError as error:
                print(f"Cannot export {project_id}: {error}", file=sys.stderr)
                return 1
            finally:
                progress.end()
            await session.commit()  # the aggregated labels; a command is its own boundary
    finally:
        await engine.dispose()
    for path in paths:
        print(path)
    return 0


async def _run(settings: Settings) -> None:
    from bot.app import PollingBot, Runtime, run_webhook
    from core import db

    await db.upgrade(settings.database_url)
    runtime = Runtime.create(settings)
    try:
        if settings.webhook_url:
            await run_webhook(runtime)
            return
        assert settings.bot_token is not None
        polling = PollingBot(
            runtime,
            settings.bot_token.get_secret_value(),
            settings.telegram_api_base,
            one_update_at_a_time=False,
        )
        await polling.start()
        await polling.wait()
    finally:
        await runtime.close()
