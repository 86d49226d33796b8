"""A bad or missing setting stops start-up with one line that names it; the token never leaks."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.settings import SettingsError, load_settings

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_defaults_use_embedded_sqlite() -> None:
    settings = load_settings(_env_file=None)
    assert settings.database_url.startswith("sqlite+aiosqlite:///data/")
    assert settings.bot_token is None


@pytest.mark.parametrize(
    ("overrides", "name"),
    [
        ({"bot_token": "not-a-token"}, "BOT_TOKEN"),
        ({"database_url": "mysql://x"}, "DATABASE_URL"),
        ({"admin_ids": "12,abc"}, "ADMIN_IDS"),
        ({"default_locale": "de"}, "DEFAULT_LOCALE"),
        ({"timezone": "Mars/Olympus"}, "TIMEZONE"),
        ({"webhook_url": "https://example.org/hook"}, "WEBHOOK_SECRET"),
        (
            {"webhook_url": "https://example.org/hook", "webhook_secret": "bad secret!"},
            "WEBHOOK_SECRET",
        ),
    ],
)
def test_bad_setting_is_named_with_a_fix(overrides: dict[str, str], name: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None, **overrides)
    message = str(caught.value)
    assert message.startswith(f"{name}:")
    assert "\n" not in message
    assert len(message.split(";")) >= 2  # what is wrong; how to fix it


def test_token_never_appears_in_errors_or_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(_env_file=None, bot_token=TOKEN)
    assert TOKEN not in repr(settings)
    assert settings.bot_token is not None and settings.bot_token.get_secret_value() == TOKEN
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None, bot_token=TOKEN, timezone="Nowhere/Land")
    assert TOKEN not in str(caught.value)


def test_cli_prints_one_line_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("ADMIN_IDS", "one,two")
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("Configuration error: ADMIN_IDS:")
    assert TOKEN not in err


def test_log_filter_redacts_the_token(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from bot.logs import RedactSecrets

    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactSecrets([TOKEN]))
    with caplog.at_level(logging.INFO):
        logger.info("calling https://api.telegram.org/bot%s/getMe", TOKEN)
    assert TOKEN not in caplog.text and "<redacted>" in caplog.text
