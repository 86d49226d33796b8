"""Where a person is: their time zone (theirs, else their group's, else the deployment's) and their
quiet hours, when the bot sends no reminder.

Every time the bot shows someone (a retry time, a payout date, "today") is in their zone.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale

# The zones offered in Settings: where Rafiq's people live. Any IANA name works with /cohort_zone.
CHOICES = ("Asia/Kabul", "Asia/Damascus", "Asia/Baghdad", "Asia/Beirut", "Europe/Kyiv")
CLDR_NAMES = {"Europe/Kyiv": "Europe/Kiev"}  # CLDR still files Kyiv under the old name
QUIET_CHOICES = ((21, 8), (22, 7), (23, 9), (20, 6))
DEFAULT_QUIET = (21, 8)


def zone_named(name: str | None) -> ZoneInfo | None:
    """The zone for an IANA name, or None for nothing or an unknown name."""
    if not name or len(name) > 40 or ".." in name or name.startswith("/"):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_from_text(text: str) -> str | None:
    """An IANA name for what a coordinator typed: "Asia/Kabul", or a city of the choices in
    any of the bot's languages or in English ("Kabul", "كابول", "Київ")."""
    text = text.strip()
    if zone_named(text) is not None:
        return text
    wanted = text.casefold()
    for name in CHOICES:
        names = {name.rsplit("/", 1)[-1].casefold()} | {
            city(name, locale).casefold() for locale in ("ar", "fa_AF", "uk", "en")
        }
        if wanted in names:
            return name
    return None


def zone_for(name: str | None, default: tzinfo) -> tzinfo:
    """The person's zone (their own or their group's name, as stored), else the deployment's."""
    return zone_named(name) or default


def city(name: str, locale: str) -> str:
    """The zone's city in the reader's language ("كابول", "Київ"), from CLDR."""
    cities = Locale.parse(locale).time_zones
    found = cities.get(CLDR_NAMES.get(name, name), {}).get("city")
    return str(found) if found else name.rsplit("/", 1)[-1].replace("_", " ")


def is_quiet(moment: datetime, zone: tzinfo, quiet_from: int, quiet_until: int) -> bool:
    """Whether `moment` is in the person's quiet hours (local, from..until, may span midnight)."""
    hour = moment.astimezone(zone).hour
    if quiet_from == quiet_until:
        return False  # no quiet hours
    if quiet_from < quiet_until:
        return quiet_from <= hour < quiet_until
    return hour >= quiet_from or hour < quiet_until


def next_waking(moment: datetime, zone: tzinfo, quiet_from: int, quiet_until: int) -> datetime:
    """`moment` if it is outside the quiet hours, else when they end (in `moment`'s zone)."""
    if not is_quiet(moment, zone, quiet_from, quiet_until):
        return moment
    local = moment.astimezone(zone)
    end = datetime.combine(local.date(), time(quiet_until), tzinfo=zone)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), time(quiet_until), tzinfo=zone)
    return end.astimezone(moment.tzinfo)


def local_day(moment: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    """The person's day around `moment`: its start and end, in `moment`'s zone."""
    local = moment.astimezone(zone)
    start = datetime.combine(local.date(), time(0), tzinfo=zone)
    end = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(moment.tzinfo), end.astimezone(moment.tzinfo)
