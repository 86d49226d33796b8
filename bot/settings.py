"""Settings from the environment or a .env file."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.crypto import valid_key
from core.i18n import set_digits
from core.locales import CATALOG_LOCALES
from tasks.fair_pay import Floor, parse_floors
from tasks.payout_models import METHOD_KINDS
from tasks.payouts import PayoutTerms

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/rafiq.sqlite3"
_TOKEN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{20,}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

HINTS = {
    "BOT_TOKEN": "set it to the token @BotFather gave you (digits:letters), or unset it to use the "
    "offline sandbox",
    "ENCRYPTION_KEYS": "give Fernet keys separated by commas, newest first; make one with "
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'",
    "DATABASE_URL": "use sqlite+aiosqlite:///path/to/file.sqlite3 or "
    "postgresql+asyncpg://user@host:5432/dbname",
    "TELEGRAM_API_BASE": "use a base URL such as http://127.0.0.1:8081",
    "ADMIN_IDS": "give Telegram user ids separated by commas, e.g. ADMIN_IDS=12345,67890",
    "DEFAULT_LOCALE": f"use one of {', '.join(CATALOG_LOCALES)}",
    "WEBHOOK_URL": "use the public https URL Telegram should post updates to",
    "WEBHOOK_SECRET": "use 1-256 characters of A-Z, a-z, 0-9, _ and -",
    "TIMEZONE": "use an IANA time zone name such as Asia/Kabul or Europe/Kyiv",
    "INVITE_DAYS": "use a whole number of days from 1 to 365",
    "FLOOD_LIMIT": "use a whole number of updates, 0 for no limit",
    "FLOOD_WINDOW_SECONDS": "use a number of seconds above 0",
    "FLOOD_PAUSE_SECONDS": "use a number of seconds, 0 or more",
    "OUTBOX_RATE": "use messages per second above 0, at most 1000 (30 unless paid broadcasts)",
    "OUTBOX_REPLY_RESERVE": "use messages per second, 0 or more and below OUTBOX_RATE",
    "OUTBOX_CONCURRENCY": "use a whole number of messages in flight, 1 to 500",
    "OUTBOX_MAX_ATTEMPTS": "use a whole number of tries, 1 or more",
    "OUTBOX_BACKOFF_SECONDS": "use a number of seconds above 0",
    "OUTBOX_CLAIM_TIMEOUT_SECONDS": "use a number of seconds, 2 or more",
    "OUTBOX_KEEP_SENT_DAYS": "use a whole number of days, 1 or more",
    "DIGITS": "use native (Arabic-Indic digits in Arabic, Persian digits in Dari) or latin "
    "(0-9 everywhere)",
    "PAYOUT_METHODS": f"use some of {', '.join(METHOD_KINDS)}, separated by commas",
    "PAYOUT_METHODS_BY_COHORT": 'use JSON from cohort id to methods, e.g. {"7": ["cash"]}',
    "PAYOUT_MINIMUM": 'use JSON from currency code to minor units, e.g. {"USD": 500}',
    "MIN_HOURLY_WAGE": "give COUNTRY=AMOUNT CURRENCY per country, comma separated, the amount in "
    "minor units per hour, e.g. MIN_HOURLY_WAGE=SY=150 USD,AF=120 USD",
}


class SettingsError(Exception):
    """A setting is bad or missing; the message names it and says how to fix it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    # Keys for names stored encrypted, newest first; unset: a key kept in data/ (sandbox, tests)
    encryption_keys: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    telegram_api_base: str | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    default_locale: str = "en"
    invite_days: int = Field(default=14, ge=1, le=365)  # how long a new invite link works
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    timezone: str = "UTC"
    # The digits Arabic and Dari screens show: native (٠١٢ / ۰۱۲) or latin (012); codes stay Latin
    digits: Literal["native", "latin"] = "native"
    redis_url: str | None = None  # aiogram's FSM storage in Redis; the database when unset
    # Flood limit per user: more than FLOOD_LIMIT updates in FLOOD_WINDOW_SECONDS, and the bot
    # says so once and ignores that user for FLOOD_PAUSE_SECONDS (FLOOD_LIMIT=0: no limit).
    flood_limit: int = Field(default=60, ge=0)
    flood_window_seconds: float = Field(default=30, gt=0)
    flood_pause_seconds: float = Field(default=60, ge=0)
    # Payouts: the methods a worker may register (every cohort; PAYOUT_METHODS_BY_COHORT
    # overrides it per cohort id), the least paid per currency in minor units (a currency not
    # named: any amount), when the weekly run is due (in TIMEZONE) and where batch files go.
    payout_methods: Annotated[tuple[str, ...], NoDecode] = METHOD_KINDS
    payout_methods_by_cohort: dict[int, tuple[str, ...]] = Field(default_factory=dict)
    payout_minimum: dict[str, int] = Field(default_factory=lambda: {"USD": 500})
    payout_weekday: int = Field(default=0, ge=0, le=6)  # 0 is Monday
    payout_hour: int = Field(default=9, ge=0, le=23)
    payouts_dir: Path = Path("data/payouts")
    # The minimum hourly wage per cohort country (tasks.fair_pay): "SY=150 USD,AF=120 USD"
    min_hourly_wage: Annotated[dict[str, Floor], NoDecode] = {}
    # The outbox's sender (bot/sender.py): Telegram's global rate for this bot (30/s; paid
    # broadcasts up to 1000/s), of which OUTBOX_REPLY_RESERVE a second is left to replies; how
    # many messages are in flight at once (also the most a crash can send twice); tries before
    # a message is parked as failed, the first wait between them (doubling); how old a claim
    # must be before a restart sends it again; how long sent rows are kept.
    outbox_rate: float = Field(default=30, gt=0, le=1000)
    outbox_reply_reserve: float = Field(default=1, ge=0)
    outbox_concurrency: int = Field(default=8, ge=1, le=500)
    outbox_max_attempts: int = Field(default=5, ge=1)
    outbox_backoff_seconds: float = Field(default=5, gt=0)
    outbox_claim_timeout_seconds: float = Field(default=60, ge=2)
    outbox_keep_sent_days: int = Field(default=30, ge=1)
    # Reminders (outreach/reminders.py, every REMINDER_EVERY_MINUTES): a course left for
    # REMINDER_IDLE_HOURS, a quiz that can be retried, new work; at most REMINDER_DAILY_CAP a
    # person's day, never in their quiet hours.
    reminder_every_minutes: int = Field(default=15, ge=1, le=1440)
    reminder_idle_hours: float = Field(default=24, gt=0)
    reminder_daily_cap: int = Field(default=2, ge=0)

    @field_validator("bot_token", mode="before")
    @classmethod
    def _token(cls, value: object) -> object:
        if value in (None, ""):
            return None
        if not _TOKEN.match(str(value)):
            raise ValueError("malformed token")
        return value

    @field_validator("encryption_keys", mode="before")
    @classmethod
    def _encryption_keys(cls, value: object) -> object:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value in (None, ""):
            return None
        keys = [part.strip() for part in str(value).split(",") if part.strip()]
        if not keys or not all(valid_key(key) for key in keys):
            raise ValueError("not a list of Fernet keys")
        return ",".join(keys)

    @field_validator("redis_url", mode="before")
    @classmethod
    def _redis(cls, value: object) -> object:
        if value in (None, ""):
            return None
        if not str(value).startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("not a redis:// URL")
        return value

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("unsupported database driver")
        return value

    @field_validator("telegram_api_base", "webhook_url", mode="before")
    @classmethod
    def _url(cls, value: object) -> object:
        if value in (None, ""):
            return None
        if not str(value).startswith(("http://", "https://")):
            raise ValueError("not an http(s) URL")
        return str(value).rstrip("/")

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admins(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not all(p.isdigit() for p in parts):
                raise ValueError("not a list of numbers")
            return frozenset(int(p) for p in parts)
        return value

    @field_validator("default_locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        if value not in CATALOG_LOCALES:
            raise ValueError("unknown locale")
        return value

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _secret(cls, value: object) -> object:
        if value in (None, ""):
            return None
        if not _SECRET.match(str(value)):
            raise ValueError("bad secret")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError("unknown time zone") from error
        return value

    @field_validator("payout_methods", mode="before")
    @classmethod
    def _payout_methods(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("payout_methods", "payout_methods_by_cohort")
    @classmethod
    def _methods_known(cls, value: object) -> object:
        lists = value.values() if isinstance(value, dict) else [value]
        for methods in lists:
            if not methods or not set(methods) <= set(METHOD_KINDS):  # type: ignore[arg-type]
                raise ValueError("unknown or no payout method")
        return value

    @field_validator("payout_minimum")
    @classmethod
    def _minimum(cls, value: dict[str, int]) -> dict[str, int]:
        if any(len(c) != 3 or c.upper() != c or amount < 0 for c, amount in value.items()):
            raise ValueError("not a map from currency code to minor units")
        return value

    @field_validator("min_hourly_wage", mode="before")
    @classmethod
    def _floors(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_floors(value)
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET: webhook mode refuses to start without a secret")
        return self

    @model_validator(mode="after")
    def _reserve_below_rate(self) -> Settings:
        if self.outbox_reply_reserve >= self.outbox_rate:
            raise ValueError("OUTBOX_REPLY_RESERVE: must be below OUTBOX_RATE")
        return self

    def encryption_key_list(self) -> list[str]:
        """The configured keys, newest first (empty when ENCRYPTION_KEYS is unset)."""
        if self.encryption_keys is None:
            return []
        return self.encryption_keys.get_secret_value().split(",")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def invite_lifetime(self) -> timedelta:
        return timedelta(days=self.invite_days)

    def payout_terms(self) -> PayoutTerms:
        return PayoutTerms(
            minimum=self.payout_minimum,
            weekday=self.payout_weekday,
            hour=self.payout_hour,
            zone=self.zone,
        )

    def sqlite_path(self) -> Path | None:
        prefix = "sqlite+aiosqlite:///"
        if self.database_url.startswith(prefix):
            rest = self.database_url[len(prefix) :]
            return None if rest in ("", ":memory:") else Path(rest)
        return None


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation errors into one line naming the setting and the fix.

    Applies DIGITS to core.i18n's formatters.
    """
    try:
        settings = Settings(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]).upper() if first["loc"] else ""
        message = str(first["msg"]).removeprefix("Value error, ")
        if not field and ":" in message:
            field, message = (part.strip() for part in message.split(":", 1))
        hint = HINTS.get(field, "")
        raise SettingsError(f"{field}: {message}; {hint}".rstrip("; ")) from None
    set_digits(settings.digits)  # the formatters in core.i18n serve the whole process
    return settings
