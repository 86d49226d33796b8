"""`python -m bot` subcommands that need no bot."""

from __future__ import annotations

import asyncio
import io
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from bot.cli import describe_migration, main, schema_revision, shown_url
from bot.progress_bar import ProgressBar
from core import db


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """main() sets up logging to the stderr of its moment; put back what pytest had."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_help_explains_each_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("run", "sandbox", "migrate", "courses", "i18n"):
        assert command in result.stdout


def test_courses_check_passes_on_shipped_courses(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["courses", "check"]) == 0
    assert capsys.readouterr().out.strip().endswith("2 courses OK")


def test_run_without_token_says_how_to_fix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.chdir("/")
    assert main(["run"]) == 2
    assert capsys.readouterr().err.startswith("Configuration error: BOT_TOKEN: missing")


def migrate(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[str, str]:
    """`python -m bot migrate` at `database_url`: what it printed on stdout and stderr."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["migrate"]) == 0
    result = capsys.readouterr()
    return result.out, result.err


def newest_revision() -> str:
    head = ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def test_migrate_help_says_what_it_upgrades(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["migrate", "--help"])

    assert exit_.value.code == 0
    help_text = capsys.readouterr().out
    assert "Upgrade the database at DATABASE_URL" in help_text
    assert "to the newest schema" in help_text


def test_migrate_says_in_one_line_what_it_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rafiq.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    head = newest_revision()
    asyncio.run(db.upgrade(url, "0005"))

    upgraded = migrate(url, monkeypatch, capsys)
    again = migrate(url, monkeypatch, capsys)

    shown = f"Database at sqlite:///{path}"
    assert upgraded == (f"{shown} upgraded from schema 0005 to the newest ({head}).\n", "")
    assert again == (f"{shown} is at the newest schema ({head}).\n", "")  # no Alembic log


def test_migrate_creates_the_schema_of_an_empty_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "new" / "rafiq.sqlite3"

    out, err = migrate(f"sqlite+aiosqlite:///{path}", monkeypatch, capsys)

    expected = f"Database at sqlite:///{path} was empty; it now has the newest schema"
    assert (out, err) == (f"{expected} ({newest_revision()}).\n", "")
    assert asyncio.run(schema_revision(f"sqlite+aiosqlite:///{path}")) == newest_revision()


def test_migrate_on_each_database_at_the_newest_schema(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out, err = migrate(database_url, monkeypatch, capsys)

    shown = shown_url(database_url)
    assert out == f"Database at {shown} is at the newest schema ({newest_revision()}).\n"
    assert err == ""
    assert "+asyncpg" not in out and "+aiosqlite" not in out


def test_the_database_url_is_said_without_driver_or_password() -> None:
    url = "postgresql+asyncpg://rafiq:s3cret@db.example:5432/rafiq"

    assert shown_url(url) == "postgresql://rafiq:***@db.example:5432/rafiq"
    assert describe_migration(url, "0006", "0008") == (
        "Database at postgresql://rafiq:***@db.example:5432/rafiq upgraded from schema 0006 "
        "to the newest (0008)."
    )


def test_migrate_that_cannot_connect_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://rafiq:s3cret@127.0.0.1:1/rafiq")

    assert main(["migrate"]) == 1

    error = capsys.readouterr().err
    assert error.startswith("Cannot upgrade the database at postgresql://rafiq:***@127.0.0.1:1/")
    assert "s3cret" not in error and len(error.splitlines()) == 1


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_long_commands_draw_a_progress_bar_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:

    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    progress = ProgressBar("digits", "images")
    progress(0, 300)
    progress(300, 300)
    progress.end()
    shown = terminal.getvalue()
    assert shown.startswith("\rdigits:   0%|")
    assert "| 300/300 [" in shown and "100%" in shown and " images/s]" in shown


def test_no_progress_bar_when_the_output_is_not_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:

    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    progress = ProgressBar("digits", "images")
    progress(300, 300)
    progress.end()
    assert piped.getvalue() == ""
