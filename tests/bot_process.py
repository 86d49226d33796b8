"""`python -m bot ...` as a real child process, forked from a server that has imported the bot.

Importing the bot (aiogram's few hundred pydantic models above all) takes seconds of CPU, and the
crash tests start it again and again. A multiprocessing forkserver imports it once per test
process; each child is forked from it: a process of its own, with its own pid, environment,
working directory and output file, that a SIGKILL kills as it would kill `python -m bot`. Only
the import is shared: `main` runs in the child, from its own environment.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_forkserver = multiprocessing.get_context("forkserver")
# Everything `run` and `payouts run` import, not only the command line: `bot.cli` imports the
# rest (aiogram, about four seconds of CPU) inside the command, so in each child.
_forkserver.set_forkserver_preload(
    [
        "bot.cli",
        "bot.app",
        "bot.schema",
        "bot.logs",
        "bot.payouts_cli",
        "bot.payout_job",
        "handlers",
    ]
)


def _child(argv: list[str], env: dict[str, str], log: str) -> None:
    os.environ.clear()
    os.environ.update(env)
    os.chdir(ROOT)
    out = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    from bot.cli import main

    raise SystemExit(main(argv))


class BotProcess:
    """The part of `subprocess.Popen` the tests use."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str], log: Path) -> None:
        self.args = list(argv)
        self._process = _forkserver.Process(target=_child, args=(self.args, dict(env), str(log)))
        self._process.start()

    @property
    def pid(self) -> int:
        assert self._process.pid is not None
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode  # -N when killed by signal N, as Popen's

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self.returncode is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        return self.returncode

    def send_signal(self, signal: int) -> None:
        os.kill(self.pid, signal)

    def terminate(self) -> None:
        self._process.terminate()


def start(argv: Sequence[str], env: Mapping[str, str], log: Path) -> BotProcess:
    """`python -m bot *argv` with exactly `env`, run in the project's root, output to `log`."""
    return BotProcess(argv, env, log)
