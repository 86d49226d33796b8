"""The work-loop benchmarks run end to end with tiny sizes (smoke tests, not timings)."""

from __future__ import annotations

import pytest

from bench import claim_query, work_throughput


def test_work_throughput_answers_items_and_stores_every_answer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    exit_code = work_throughput.main(
        ["--users", "3", "--answers", "9", "--items", "40", "--database", "sqlite"]
    )

    out = capsys.readouterr().out
    assert exit_code == 0, out
    lines = out.splitlines()
    rafiq = next(line.split() for line in lines if line.strip().startswith("Rafiq  "))
    assert rafiq[:4] == ["Rafiq", "sqlite", "3", "9"]  # bot, database, workers, answers
    assert float(rafiq[4]) > 0 and float(rafiq[5]) <= float(rafiq[6])
    cpu, database, sqlite = (float(cell) for cell in rafiq[8:11])
    assert cpu > database > sqlite > 0  # CPU per answer, the database layer's, SQLite's
    assert "Rafiq on sqlite: 9 answers pressed, 9 stored as answered" in out
    assert "0 answers left the same card" in out


def test_work_throughput_with_pauses_reports_the_workers_pace_without_the_echo(
    capsys: pytest.CaptureFixture[str],
) -> None:
    arguments = "--users 4 --answers 8 --items 40 --database sqlite --think 0.02"
    exit_code = work_throughput.main(arguments.split())

    out = capsys.readouterr().out
    assert exit_code == 0, out
    assert "aiogram echo" not in out and "measuring the aiogram echo bot" not in out
    row = next(line.split() for line in out.splitlines() if line.strip().startswith("sqlite "))
    assert row[:4] == ["sqlite", "4", "0.02", "200"]  # database, workers, pause, offered/s
    assert float(row[4]) > 0 and float(row[5]) <= float(row[6])
    assert row[8].endswith("%")
    assert "Rafiq on sqlite: 8 answers pressed, 8 stored as answered" in out


def test_claim_query_times_both_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    exit_code = claim_query.main(
        ["--sizes", "300,3000", "--skipped", "100", "--repeat", "5", "--database", "sqlite"]
    )

    out = capsys.readouterr().out
    assert exit_code == 0, out
    rows = [line.split() for line in out.splitlines() if line.strip().startswith("sqlite ")]
    assert [row[:2] for row in rows] == [["sqlite", "300"], ["sqlite", "3,000"]]
    assert all(row[3] == "5" and float(row[4]) <= float(row[5]) for row in rows)
    assert rows[0][6] == "1.00"
