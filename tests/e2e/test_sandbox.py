"""`python -m bot sandbox`: a scripted person chats with the real bot in the terminal."""

from __future__ import annotations

from pathlib import Path

from bot.sandbox import run_sandbox
from bot.settings import load_settings
from core.i18n import gettext, use_locale


async def test_sandbox_chat_in_arabic_with_numbered_buttons(tmp_path: Path) -> None:
    lines = iter(["/start", "1", "1", "/coordinator", "/cohort_new Aleppo", "/quit"])
    output: list[str] = []

    async def read_line() -> str | None:
        return next(lines, None)

    settings = load_settings(
        _env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'sandbox.sqlite3'}"
    )
    await run_sandbox(
        settings,
        ("Amina", "ar"),
        read_line=read_line,
        write=output.append,
        files_dir=tmp_path / "files",
    )
    text = "\n".join(output)
    with use_locale("ar"):
        assert gettext("Main menu. What would you like to do?") in text
        assert gettext("Group {cohort} created.").format(cohort="\u2068Aleppo\u2069") in text
    assert "[1] العربية" in text
    assert "Amina is now a coordinator of Sandbox NGO" in text
