"""Names at rest: encrypted in the database file, readable with any key of the ring, rotated to
the newest key by `python -m bot keys rotate` (which also encrypts names stored in plain)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlmodel import SQLModel

import bot.schema  # noqa: F401 - every table on the metadata
from bot.app import Runtime
from bot.cli import main
from bot.settings import SettingsError, load_settings
from core import crypto, db
from core.clock import ManualClock
from people import accounts
from people.models import User
from tests.conftest import TEST_ENCRYPTION_KEY

NAME = "Mariam Sultani"


async def _stored(runtime: Runtime) -> str:
    async with runtime.sessions() as session:
        return (await session.execute(text("SELECT display_name FROM users"))).scalar_one()


async def _read(runtime: Runtime) -> str | None:
    async with runtime.sessions() as session:
        user = await session.get(User, 1)
        assert user is not None
        return user.display_name


async def _member_named(runtime: Runtime, clock: ManualClock) -> None:
    async with runtime.sessions() as session:
        session.add(User(id=1, locale="en", consented_at=clock.now()))
        await session.flush()
        await accounts.set_display_name(session, 1, NAME)
        await session.commit()


async def test_the_database_file_holds_no_name_in_plain_text(
    runtime: Runtime, clock: ManualClock
) -> None:
    path = runtime.settings.sqlite_path()
    await _member_named(runtime, clock)
    if path is None:  # PostgreSQL: the stored value itself
        assert NAME not in await _stored(runtime)
        assert await _read(runtime) == NAME
        return
    await runtime.close()  # checkpoints the WAL into the file
    raw = path.read_bytes() + b"".join(p.read_bytes() for p in path.parent.glob("*-wal"))
    assert NAME.encode() not in raw
    assert NAME.encode("utf-16-le") not in raw
    assert (await _stored(runtime)).startswith("gAAAAA")
    assert await _read(runtime) == NAME


async def test_rotation_moves_every_name_to_the_newest_key(
    runtime: Runtime, clock: ManualClock
) -> None:
    await _member_named(runtime, clock)
    async with runtime.sessions() as session:  # a name stored before encryption
        await session.execute(text("UPDATE users SET display_name = 'Legacy Plain'"))
        await session.commit()
    assert await _read(runtime) == "Legacy Plain"
    await _member_named_again(runtime)

    newest = Fernet.generate_key().decode()
    crypto.configure([newest, TEST_ENCRYPTION_KEY])
    assert await _read(runtime) == NAME  # the old key still opens it
    async with runtime.sessions() as session:
        assert await crypto.rotate(session, SQLModel.metadata) == 1
        await session.commit()
    crypto.configure([newest])  # the old key is gone: the newest alone is needed
    assert await _read(runtime) == NAME
    crypto.configure([TEST_ENCRYPTION_KEY])
    with pytest.raises(crypto.KeyringError):
        await _read(runtime)


async def _member_named_again(runtime: Runtime) -> None:
    async with runtime.sessions() as session:
        await accounts.set_display_name(session, 1, NAME)
        await session.commit()


async def test_keys_rotate_command_encrypts_plain_names_and_counts_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'rafiq.sqlite3'}"
    await db.upgrade(url)
    engine = db.create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO users (id, locale, role, display_name, consented_at) "
                "VALUES (1, 'en', 'member', 'Old Plain', '2026-01-01 00:00:00'),"
                " (2, 'en', 'member', NULL, '2026-01-01 00:00:00')"
            )
        )
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("ENCRYPTION_KEYS", TEST_ENCRYPTION_KEY)
    monkeypatch.chdir(tmp_path)
    assert await _in_thread(main, ["keys", "rotate"]) == 0
    out = capsys.readouterr().out
    assert out == "Re-encrypted 1 names and payout details with the newest key.\n"
    async with engine.connect() as connection:
        stored = (await connection.execute(text("SELECT display_name FROM users"))).scalars()
        values = list(stored)
    await engine.dispose()
    assert values[1] is None
    assert crypto.Keyring([TEST_ENCRYPTION_KEY]).decrypt(values[0]) == "Old Plain"
    assert values[0] != "Old Plain"


async def _in_thread(function: Callable[[list[str]], int], argv: list[str]) -> int:
    return await asyncio.to_thread(function, argv)  # main runs an event loop of its own


def test_bad_keys_are_refused_with_the_fix() -> None:
    with pytest.raises(SettingsError, match=r"^ENCRYPTION_KEYS: not a list of Fernet keys; give"):
        load_settings(encryption_keys="not-a-key", _env_file=None)
    two = f"{Fernet.generate_key().decode()}, {TEST_ENCRYPTION_KEY}"
    assert len(load_settings(encryption_keys=two, _env_file=None).encryption_key_list()) == 2


def test_run_with_a_token_needs_keys(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOT_TOKEN", "1000000001:abcdefghijklmnopqrstuvwxyz")
    monkeypatch.delenv("ENCRYPTION_KEYS", raising=False)
    monkeypatch.chdir("/")
    assert main(["run"]) == 2
    assert capsys.readouterr().err.startswith("Configuration error: ENCRYPTION_KEYS: missing")


def test_a_typed_name_is_never_taken_for_a_token() -> None:
    ring = crypto.Keyring([TEST_ENCRYPTION_KEY])
    for name in ("gAAAAA", "gAAAAAB Smith", "gAAAAABnotbase64!!"):
        assert ring.decrypt(name) == name
