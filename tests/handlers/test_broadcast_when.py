"""The time a coordinator types for a broadcast, read in the deployment's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from handlers.broadcasts import parse_when

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)  # 13:30 in Kabul (UTC+4:30)
KABUL = ZoneInfo("Asia/Kabul")


def test_a_date_and_time_is_local_to_the_zone() -> None:
    assert parse_when("2026-11-23 18:00", NOW, KABUL) == datetime(2026, 11, 23, 13, 30, tzinfo=UTC)
    assert parse_when("2026/11/23 8.05", NOW, KABUL) == datetime(2026, 11, 23, 3, 35, tzinfo=UTC)


def test_digits_of_any_script() -> None:
    expected = datetime(2026, 11, 23, 13, 30, tzinfo=UTC)
    assert parse_when("٢٠٢٦-١١-٢٣ ١٨:٠٠", NOW, KABUL) == expected  # Arabic-Indic
    assert parse_when("۲۰۲۶-۱۱-۲۳ ۱۸:۰۰", NOW, KABUL) == expected  # Persian


def test_a_time_alone_is_today_or_tomorrow_once_passed() -> None:
    assert parse_when("18:00", NOW, KABUL) == datetime(2026, 11, 22, 13, 30, tzinfo=UTC)
    assert parse_when("08:00", NOW, KABUL) == datetime(2026, 11, 23, 3, 30, tzinfo=UTC)


def test_what_is_no_moment_is_refused() -> None:
    for text in ("tomorrow", "2026-02-30 10:00", "25:00", "2026-11-23", "", "10:61"):
        assert parse_when(text, NOW, KABUL) is None, text
