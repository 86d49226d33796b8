"""Logging that never prints personal data: no token, no message text, no exception messages.

Log lines carry event names, update ids and pseudonymous user ids (core.pseudonym). What a user
typed can still reach a log record by way of an exception's message (a library quoting its
input) or a library logging its arguments, so, for every record in the process, whoever logs it:
- an exception passed as an argument is logged as its type name, and a traceback is rendered
  with types and code locations only, never the exception's message;
- secrets (the bot token, the webhook secret) are replaced by REDACTED;
- libraries that log contents at DEBUG or INFO are held at WARNING: SQLAlchemy and aiosqlite
  (SQL parameters: names, answers), aiogram's scenes (conversation data) and its request logging
  (each method with its text).
"""

from __future__ import annotations

import hashlib
import logging
import traceback
from collections.abc import Mapping
from typing import Any

from core import pseudonym

REDACTED = "<redacted>"
CONTENT_LOGGERS = ("sqlalchemy", "aiosqlite", "aiogram.scene", "aiogram.middlewares")

_original_factory = logging.getLogRecordFactory()
_secrets: list[str] = []


def without_messages(error: BaseException) -> str:
    """A traceback of `error` and its causes: frames and exception types, no messages."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    parts = []
    for item in reversed(chain):
        frames = traceback.format_list(traceback.extract_tb(item.__traceback__))
        parts.append("Traceback (most recent call last):\n" + "".join(frames) + _name(item))
    return "\n\nwhich led to\n\n".join(parts)


def _name(error: BaseException) -> str:
    kind = type(error)
    module = "" if kind.__module__ == "builtins" else kind.__module__ + "."
    return module + kind.__qualname__ + " (message not logged)"


def _safe(value: Any) -> Any:
    return type(value).__name__ if isinstance(value, BaseException) else value


def _redact(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, REDACTED)
    return text


def make_private(record: logging.LogRecord) -> logging.LogRecord:
    """Strip a record of exception messages and secrets (in place; returned for chaining)."""
    if isinstance(record.msg, BaseException):
        record.msg = _safe(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_safe(arg) for arg in record.args)
    elif isinstance(record.args, Mapping):
        record.args = {key: _safe(arg) for key, arg in record.args.items()}
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = without_messages(record.exc_info[1])
    record.exc_info = None  # handlers that render exc_info themselves get nothing to render
    if _secrets:
        message = record.getMessage()
        redacted = _redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_text:
            record.exc_text = _redact(record.exc_text)
    return record


def _private_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    return make_private(_original_factory(*args, **kwargs))


class RedactSecrets(logging.Filter):
    """Replaces the given secrets in a record (for a handler or logger of one's own)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self.secrets:
            redacted = redacted.replace(secret, REDACTED)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = without_messages(record.exc_info[1])
            record.exc_info = None
        if record.exc_text:
            for secret in self.secrets:
                record.exc_text = record.exc_text.replace(secret, REDACTED)
        return True


def configure_logging(
    level: int = logging.INFO,
    secrets: list[str] | None = None,
    pseudonym_key: bytes | None = None,
) -> None:
    """Log to stderr at `level`, privately (see the module's docstring).

    `pseudonym_key` keys the pseudonymous user ids in log lines; without it the first secret
    (the bot token) is used, so pseudonyms stay the same across restarts of one deployment; with
    neither they hold for this process only.
    """
    global _secrets
    _secrets = [s for s in secrets or [] if s]
    key = pseudonym_key or (hashlib.sha256(_secrets[0].encode()).digest() if _secrets else None)
    if key:
        pseudonym.set_key(key)
    logging.setLogRecordFactory(_private_record)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(_secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in CONTENT_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


def unconfigure_logging() -> None:
    """Undo configure_logging's process-wide parts (tests)."""
    global _secrets
    _secrets = []
    logging.setLogRecordFactory(_original_factory)
    for name in CONTENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
