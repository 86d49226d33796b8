"""The outbox benchmark runs end to end and prints its table (a smoke test, not a timing)."""

from __future__ import annotations

import pytest

from bench import outbox


def test_outbox_benchmark_prints_the_share_of_the_limit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert outbox.main(["--recipients", "20", "--rates", "1000"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "limits ON" in lines[0]
    assert lines[1].split()[:7] == [
        "limit/s",
        "database",
        "recipients",
        "sent",
        "seconds",
        "msgs/s",
        "share",
    ]
    row = lines[2].split()
    assert row[:4] == ["1000", "sqlite", "20", "20"]
    assert 0 < float(row[6]) <= 1
