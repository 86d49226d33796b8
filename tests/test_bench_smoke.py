"""The throughput benchmark runs end to end and prints its table (a smoke test, not a timing)."""

from __future__ import annotations

import pytest

from bench import throughput


def test_throughput_benchmark_prints_both_bots(capsys: pytest.CaptureFixture[str]) -> None:
    exit_code = throughput.main(["--users", "3", "--actions", "6", "--database", "sqlite"])

    out = capsys.readouterr().out
    assert exit_code == 0, out
    assert "rate limits OFF" in out
    lines = out.splitlines()
    header = next(line for line in lines if line.split()[:2] == ["bot", "database"])
    assert header.split() == [
        "bot",
        "database",
        "users",
        "actions",
        "actions/s",
        "p50",
        "ms",
        "p99",
        "ms",
        "vs",
        "echo",
        "CPU",
        "ms",
        "db",
        "ms",
        "sqlite",
        "ms",
    ]
    echo = next(line.split() for line in lines if line.strip().startswith("aiogram echo"))
    rafiq = next(line.split() for line in lines if line.strip().startswith("Rafiq"))
    assert echo[2:5] == ["-", "3", "6"]  # database, users, presses answered
    assert echo[8] == "1.00"
    assert echo[10:] == ["-", "-"]  # the echo bot has no database
    assert rafiq[:4] == ["Rafiq", "sqlite", "3", "6"]
    assert float(rafiq[4]) > 0  # actions/s
    assert float(rafiq[5]) <= float(rafiq[6])  # p50 <= p99
    assert float(rafiq[7]) > 0  # ratio to the echo bot
    cpu, database, sqlite = (float(cell) for cell in rafiq[8:11])
    assert cpu > database > sqlite > 0  # SQLite's part is inside the database layer's
    assert "at most" in out and "if the database layer cost nothing" in out
