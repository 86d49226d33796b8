"""Names encrypted at rest: a column type that stores Fernet tokens, keys held in one keyring.

The keyring is configured once by the composition root (newest key first). Every write uses
the newest key; a read accepts any key of the ring, and also a plain value written before
names were encrypted (migration 0005). `rotate` re-encrypts every such column with the newest key.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import MetaData, String, Table, literal, select, type_coerce, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeDecorator

# Where the sandbox and tests keep a key of their own when ENCRYPTION_KEYS is not set.
LOCAL_KEY_FILE = Path("data/encryption.key")
_TOKEN_PREFIX = "gAAAAA"  # version byte 0x80 and a timestamp's high bytes, base64url
_TOKEN_OVERHEAD = 57  # version, timestamp, IV and HMAC around the padded ciphertext


class KeyringError(RuntimeError):
    """No keyring is configured, or none of its keys opens a stored token."""


def valid_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False


class Keyring:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise KeyringError("a keyring needs at least one key")
        self.fernet = MultiFernet([Fernet(key.encode("ascii")) for key in keys])

    def encrypt(self, plain: str) -> str:
        return self.fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def decrypt(self, stored: str) -> str:
        """The plain text of a token, or `stored` itself when it is a legacy plain value."""
        if not looks_encrypted(stored):
            return stored
        try:
            return self.fernet.decrypt(stored.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise KeyringError("no key of ENCRYPTION_KEYS opens a stored name") from None

    def rotate(self, stored: str) -> str:
        """The value encrypted with the newest key (a plain legacy value is encrypted)."""
        return self.encrypt(self.decrypt(stored))


def looks_encrypted(value: str) -> bool:
    """A well-formed Fernet token (no typed name has this shape: no spaces, exact length)."""
    if not value.startswith(_TOKEN_PREFIX):
        return False
    try:
        raw = base64.urlsafe_b64decode(value.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False
    return len(raw) >= _TOKEN_OVERHEAD + 16 and (len(raw) - _TOKEN_OVERHEAD) % 16 == 0


_keyring: Keyring | None = None


def configure(keys: Sequence[str]) -> Keyring:
    """Set the process's keyring (newest key first)."""
    global _keyring
    _keyring = Keyring(keys)
    return _keyring


def keyring() -> Keyring:
    if _keyring is None:
        raise KeyringError("the encryption keyring is not configured")
    return _keyring


def local_key(path: Path = LOCAL_KEY_FILE) -> str:
    """The key kept in `path` for the sandbox and tests, made on first use (never overwritten)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        draft.write_text(Fernet.generate_key().decode("ascii") + "\n", encoding="ascii")
        draft.chmod(0o600)
        try:
            os.link(draft, path)  # atomic: a process that lost the race reads the winner's key
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text(encoding="ascii").strip()


class EncryptedText(TypeDecorator[str]):
    """A string column stored as a Fernet token; plain values written earlier still read."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        token = keyring().encrypt(value)
        length = getattr(self.impl, "length", None)
        if length is not None and len(token) > length:
            raise ValueError("the encrypted value does not fit its column")
        return token

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring().decrypt(value)


def encrypted_columns(metadata: MetaData) -> list[tuple[Table, str]]:
    return [
        (table, column.name)
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedText)
    ]


async def rotate(session: AsyncSession, metadata: MetaData) -> int:
    """Re-encrypt every encrypted column's value with the newest key; the number of values."""
    ring = keyring()
    count = 0
    for table, name in encrypted_columns(metadata):
        raw = String()  # read and write the stored text, past the decorator
        keys = list(table.primary_key.columns)
        stored = select(*keys, type_coerce(table.c[name], raw)).where(table.c[name].is_not(None))
        for row in (await session.execute(stored)).all():
            *key_values, value = row
            where = [column == key for column, key in zip(keys, key_values, strict=True)]
            fresh = ring.rotate(value)
            await session.execute(update(table).where(*where).values({name: literal(fresh, raw)}))
            count += 1
    return count
