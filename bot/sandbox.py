"""`python -m bot sandbox`: the real bot, the Telegram stand-in and a chat in this terminal."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from bot.app import PollingBot, Runtime
from bot.inbox import InboxUpdate
from bot.settings import Settings
from core import db
from handlers.commands import install_commands_for
from people import accounts
from standin.client import SimUser
from standin.server import StandIn
from standin.terminal import HELP_COMMAND, ReadLine, run_terminal
from tasks.shipped import load_shipped_projects

SANDBOX_TOKEN = "1000000001:sandbox-token-not-a-real-telegram-token"
SANDBOX_ORGANISATION = "Sandbox NGO"
FILES_DIR = Path("data/sandbox-files")
PEOPLE_FILE_NAME = "sandbox-people.json"
STAND_IN_WAIT_SECONDS = 10.0


def people_file_for(settings: Settings) -> Path:
    """Where the simulated people's names and ids are kept: beside the SQLite database
    (so a fresh database starts with a fresh list), else in data/."""
    database = settings.sqlite_path()
    return (database.parent if database is not None else Path("data")) / PEOPLE_FILE_NAME


async def run_sandbox(
    settings: Settings,
    first_user: tuple[str, str] = ("Amina", "ar"),
    *,
    read_line: ReadLine | None = None,
    write: Callable[[str], None] = print,
    files_dir: Path = FILES_DIR,
    people_file: Path | None = None,
) -> None:
    """Upgrade the database, load the shipped projects, and chat until /quit.

    `/as NAME` is the same person every time: names and ids are kept in `people_file`
    (by default beside the SQLite database, see `people_file_for`).
    """
    await db.upgrade(settings.database_url)
    runtime = Runtime.create(settings)
    async with runtime.sessions() as session:
        await load_shipped_projects(session, runtime.clock.now(), say=write)
        await session.commit()  # start-up, not an update: this is its boundary
        last_update_id = await session.scalar(select(func.max(InboxUpdate.update_id)))
    server = StandIn(files_dir=files_dir)
    await server.start()
    polling = PollingBot(
        runtime, SANDBOX_TOKEN, server.api_base, on_handled=server.handled_reporter(SANDBOX_TOKEN)
    )
    await polling.start()
    # Telegram's update ids only grow; a new stand-in counts from 1, and the bot's inbox
    # would take those for redeliveries of the updates of an earlier run and skip them.
    bot_state = await server.primary_bot(STAND_IN_WAIT_SECONDS)
    bot_state.next_update_id = max(bot_state.next_update_id, (last_update_id or 0) + 1)

    async def make_coordinator(user: SimUser, _rest: str) -> str:
        async with runtime.sessions() as session:
            if await accounts.get_member(session, user.id) is None:
                return "Send /start and accept first; then /coordinator again."
            with contextlib.suppress(accounts.AccountError):
                await accounts.create_organisation(session, SANDBOX_ORGANISATION, runtime.clock)
            member = await accounts.appoint_coordinator(session, user.id, SANDBOX_ORGANISATION)
            await session.commit()  # a terminal command, not an update: this is its boundary
        if polling.bot is not None:
            await install_commands_for(polling.bot, member)
        return f"{user.first_name} is now a coordinator of {SANDBOX_ORGANISATION}. Try /cohorts."

    write(
        "Rafiq sandbox: you are chatting with the real bot through a local Telegram stand-in.\n"
        "Type /start to begin, a number to press a button, /as NAME [LANG] to switch user\n"
        "(the same person every time), /coordinator to become a coordinator, /quit to leave.\n"
        f"/help is the bot's help; {HELP_COMMAND} lists the sandbox's own commands.\n"
    )
    try:
        await run_terminal(
            server,
            first_user=first_user,
            extra_commands={"/coordinator": make_coordinator},
            read_line=read_line,
            write=write,
            people_file=people_file or people_file_for(settings),
        )
    finally:
        await polling.stop()
        await server.stop()
        await runtime.close()
