"""The work card's "today" starts at midnight where the deployment is, as the Earnings week does."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from handlers.work import _day_start

KABUL = ZoneInfo("Asia/Kabul")  # UTC+4:30


def test_today_starts_at_local_midnight() -> None:
    assert _day_start(datetime(2026, 11, 22, 19, 0, tzinfo=UTC), KABUL) == datetime(
        2026, 11, 22, tzinfo=KABUL
    )
    # 20:00 UTC is 00:30 the next day in Kabul: a new day has begun there
    assert _day_start(datetime(2026, 11, 22, 20, 0, tzinfo=UTC), KABUL) == datetime(
        2026, 11, 23, tzinfo=KABUL
    )
