"""Pseudonymous ids for logs: a keyed hash of a Telegram id, stable within one deployment.

Without the key a pseudonym cannot be turned back into an id (nor checked against a guessed
one). Until `set_key` is called the key is random, so pseudonyms then hold for one process only.
"""

from __future__ import annotations

import hashlib
import hmac
import os

_LABEL = b"rafiq log pseudonyms v1\x00"
_key = os.urandom(32)


def set_key(key: bytes) -> None:
    """Use `key` (a deployment secret; it is hashed again, never used raw) from now on."""
    global _key
    if not key:
        raise ValueError("empty pseudonym key")
    _key = hashlib.sha256(_LABEL + key).digest()


def pseudonym(telegram_id: int) -> str:
    """`u` and 12 hex digits: short enough to read in a log line, 48 bits against collisions."""
    digest = hmac.new(_key, str(telegram_id).encode(), hashlib.sha256).hexdigest()
    return "u" + digest[:12]
