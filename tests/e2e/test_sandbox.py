"""`python -m bot sandbox`: a scripted person chats with the real bot in the terminal."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.sandbox import run_sandbox
from bot.settings import Settings, load_settings
from core.i18n import gettext, use_locale
from handlers.keyboards import main_menu

ISOLATES = re.compile("[\u2066-\u2069]")


def script(*lines: str) -> Callable[[], Awaitable[str | None]]:
    remaining = list(lines)

    async def read_line() -> str | None:
        return remaining.pop(0) if remaining else None

    return read_line


def sandbox_settings(tmp_path: Path) -> Settings:
    return load_settings(
        _env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'sandbox.sqlite3'}"
    )


async def chat(tmp_path: Path, first_user: tuple[str, str], *lines: str) -> list[str]:
    output: list[str] = []
    await run_sandbox(
        sandbox_settings(tmp_path),
        first_user,
        read_line=script(*lines),
        write=output.append,
        files_dir=tmp_path / "files",
    )
    return output


def menu_rows() -> list[str]:
    """The main menu as a phone shows it: one line for each row, buttons numbered."""
    rows = main_menu().inline_keyboard
    numbers = iter(range(1, 100))
    return ["  " + "  ".join(f"[{next(numbers)}] {b.text}" for b in row) for row in rows]


async def test_sandbox_chat_in_arabic_with_numbered_buttons(tmp_path: Path) -> None:
    output = await chat(
        tmp_path,
        ("Amina", "ar"),
        "/start",
        "1",
        "1",
        "/help",
        "/coordinator",
        "/cohort_new Aleppo",
        "/quit",
    )
    text = "\n".join(output)
    with use_locale("ar"):
        menu_line = "Rafiq (edited #2): " + gettext("Main menu. What would you like to do?")
        assert output[output.index(menu_line) + 1 :][:3] == menu_rows()
        help_line = "Rafiq: " + gettext(
            "Rafiq helps you learn data-annotation work and do paid tasks from your phone."
        )
        assert help_line in output  # /help is the bot's, not the terminal's
        assert gettext("Group {cohort} created.").format(cohort="Aleppo") in text
    assert "[1] العربية" in text
    assert "Amina is now a coordinator of Sandbox NGO" in text
    assert "/sandbox-help" in text
    assert not ISOLATES.search(text)


async def test_a_name_is_the_same_person_after_a_restart(tmp_path: Path) -> None:
    await chat(tmp_path, ("Amina", "ar"), "/start", "1", "1", "/as Omar en", "/quit")

    output = await chat(tmp_path, ("Zaid", "en"), "/as amina", "/start", "/as Omar", "/quit")

    assert "— you are Zaid (id 1003, en); /sandbox-help for help" in output
    assert "— you are Amina (id 1001, ar)" in output
    assert "— you are Omar (id 1002, en)" in output
    with use_locale("ar"):
        # the bot knows her: the menu at once, no language picker and no consent again
        after_start = output[output.index("— you are Amina (id 1001, ar)") + 1]
        assert after_start == "Rafiq: " + gettext("Main menu. What would you like to do?")
    people = (tmp_path / "sandbox-people.json").read_text(encoding="utf-8")
    assert '"name": "Amina"' in people and '"id": 1001' in people
