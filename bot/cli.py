"""`python -m bot`: run, sandbox, migrate and admin commands."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.settings import Settings, SettingsError, load_settings

DESCRIPTION = """Rafiq, a Telegram workplace for learning and doing data-annotation work.

With no command: `run` when BOT_TOKEN is set, otherwise the offline `sandbox`."""


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
    sub.add_parser("migrate", help="upgrade the database to the newest schema (Alembic head)")
    courses = sub.add_parser("courses", help="course content tools")
    courses_sub = courses.add_subparsers(dest="courses_command", metavar="ACTION", required=True)
    courses_sub.add_parser(
        "check",
        help="validate every course under courses/content/; names file and line for each problem",
    )
    keys = sub.add_parser("keys", help="encryption keys of the names stored (ENCRYPTION_KEYS)")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    keys_sub.add_parser(
        "rotate",
        help="re-encrypt every stored name with the newest key (the first of ENCRYPTION_KEYS); "
        "also encrypts names stored before encryption",
    )
    i18n = sub.add_parser("i18n", help="translation catalogs under locales/")
    i18n_sub = i18n.add_subparsers(dest="i18n_command", metavar="ACTION", required=True)
    i18n_sub.add_parser(
        "update", help="extract the source strings and merge them into every catalog"
    )
    i18n_sub.add_parser("compile", help="compile the .po catalogs to .mo")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "courses":
        from courses.check import run_check
        from courses.loader import DEFAULT_CONTENT_ROOT
        from tasks.catalog import DEFAULT_PROJECTS_FILE

        return run_check(DEFAULT_CONTENT_ROOT, DEFAULT_PROJECTS_FILE, sys.stdout)
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
    configure_logging(logging.WARNING if command == "sandbox" else logging.INFO, [token, secret])
    if command == "migrate":
        from core import db

        asyncio.run(db.upgrade(settings.database_url))
        print("Database is at the newest schema.")
        return 0
    if command == "keys":
        count = asyncio.run(_rotate_keys(settings))
        print(f"Re-encrypted {count} names with the newest key.")
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
