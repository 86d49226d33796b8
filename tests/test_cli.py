"""`python -m bot` subcommands that need no bot."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.cli import main


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
