"""The end-to-end conversations with logging at DEBUG: no name, no text, no token in any log line.

Logging is configured as the bot configures it (bot.logs.configure_logging, here at DEBUG), and
every record that reaches the root logger is captured, aiogram's, aiohttp's and SQLAlchemy's
included, as is everything the configured handler prints.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot import logs
from bot.app import Runtime
from core.pseudonym import pseudonym
from people import accounts
from standin.server import StandIn
from tests.e2e.conftest import TOKEN, Onboard, onboard, polling, standin, t  # noqa: F401
from tests.e2e.test_learning import answer_quiz, open_course, read_every_page

TRAINEE, COORDINATOR, ADMIN = 731500913, 731500927, 900
PRIVATE = {
    "Telegram name of the trainee": "Zarghuna",
    "Telegram name of the coordinator": "Layla Qaderi",
    "organisation": "Sunrise Refuge",
    "cohort": "Kandahar Sunflowers",
    "certificate name": "Zarghuna Qasimi",
    "free text": "my brother is in Mazar",
    "input of a failing handler": "Herat Safe House",
    "token": TOKEN,
    "secret part of the token": TOKEN.split(":")[1],
}


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self) -> list[str]:
        return [self.format(record) for record in self.records]


@pytest.fixture
def captured() -> Iterator[tuple[Capture, io.StringIO]]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    logs.configure_logging(logging.DEBUG, [TOKEN])
    printed = io.StringIO()
    [configured] = root.handlers
    assert isinstance(configured, logging.StreamHandler)
    configured.setStream(printed)
    capture = Capture()
    root.addHandler(capture)
    yield capture, printed
    logs.unconfigure_logging()
    root.handlers[:], root.level = saved[0], saved[1]


async def test_no_name_text_or_token_in_any_log_line(
    captured: tuple[Capture, io.StringIO],
    standin: StandIn,  # noqa: F811
    onboard: Onboard,  # noqa: F811
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    capture, printed = captured
    admin = await onboard(ADMIN, "en", name="Admin")
    await admin.send(f"/org_new {PRIVATE['organisation']}")
    coordinator = await onboard(COORDINATOR, "ar", name=PRIVATE["Telegram name of the coordinator"])
    await admin.send(f"/coordinator_add {COORDINATOR} {PRIVATE['organisation']}")
    await coordinator.send(f"/cohort_new {PRIVATE['cohort']}")
    code = coordinator.last.text.split("start=")[1].strip("\u2068\u2069")

    trainee = await onboard(
        TRAINEE, "fa_AF", code=code, name=PRIVATE["Telegram name of the trainee"]
    )
    course = runtime.library.get("annotation-basics")
    await open_course(trainee, course, "fa_AF")
    await read_every_page(trainee, course, "fa_AF")
    await answer_quiz(trainee, course, "fa_AF")
    await trainee.press(t("fa_AF", "🎓 My certificate"))
    await trainee.send(PRIVATE["certificate name"])
    events = await trainee.press(t("fa_AF", "✅ Yes"))
    assert any(e.kind == "message" and e.message.photo for e in events)
    await trainee.send(PRIVATE["free text"])

    async def fails(*args: Any, **kwargs: Any) -> None:
        raise ValueError(f"cannot create {args[2]!r}: {args!r}")

    monkeypatch.setattr(accounts, "create_cohort", fails)
    await coordinator.send(f"/cohort_new {PRIVATE['input of a failing handler']}")
    assert coordinator.last.text == t("ar", "Sorry, something went wrong. Please try again.")

    lines = capture.lines()
    everything = "\n".join(lines) + "\n" + printed.getvalue()
    leaks = {what: value for what, value in PRIVATE.items() if value in everything}
    assert leaks == {}
    for user_id in (TRAINEE, COORDINATOR):
        assert str(user_id) not in everything  # users appear by pseudonym only
    # the capture saw the conversations, and the failure is logged usefully
    assert any(line.startswith("INFO aiogram.event: Update id=") for line in lines)
    [failure] = [line for line in lines if line.startswith("ERROR handlers.errors")]
    assert f"from {pseudonym(COORDINATOR)} failed: ValueError at " in failure
    assert "in cohort_new > " in failure and failure.endswith("in fails")
    assert "ERROR handlers.errors" in printed.getvalue()


def test_a_logged_traceback_names_types_and_places_but_no_message(
    captured: tuple[Capture, io.StringIO],
) -> None:
    capture, printed = captured
    log = logging.getLogger("some.library")
    try:
        try:
            raise KeyError(PRIVATE["free text"])
        except KeyError as error:
            raise RuntimeError(f"while handling {error}") from error
    except RuntimeError as error:
        log.exception("failed")
        log.error("failed: %s", error)
        log.warning(error)
        log.info("named %(error)s", {"error": error})
    out = "\n".join(capture.lines()) + printed.getvalue()
    assert PRIVATE["free text"] not in out
    assert "KeyError (message not logged)" in out and "RuntimeError (message not logged)" in out
    assert "in test_a_logged_traceback_names_types_and_places_but_no_message" in out
    assert capture.lines()[1:] == [
        "ERROR some.library: failed: RuntimeError",
        "WARNING some.library: RuntimeError",
        "INFO some.library: named RuntimeError",
    ]


def test_libraries_that_log_contents_are_held_at_warning(
    captured: tuple[Capture, io.StringIO],
) -> None:
    for name in ("sqlalchemy.engine.Engine", "aiosqlite", "aiogram.scene", "aiogram.middlewares"):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
    assert logging.getLogger("aiogram.event").isEnabledFor(logging.DEBUG)


def test_pseudonyms_are_keyed_stable_and_distinct() -> None:
    from core import pseudonym as module

    module.set_key(b"deployment one")
    first = [module.pseudonym(i) for i in (1, 2, TRAINEE)]
    assert first == [module.pseudonym(i) for i in (1, 2, TRAINEE)]
    assert len(set(first)) == 3 and all(str(TRAINEE) not in p for p in first)
    module.set_key(b"deployment two")
    assert [module.pseudonym(i) for i in (1, 2, TRAINEE)] != first
