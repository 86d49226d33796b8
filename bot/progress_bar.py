"""Progress bars for long commands (import, export, confirming a payout batch)."""

from __future__ import annotations

import sys
from typing import NoReturn

from tqdm import tqdm


class ProgressBar:
    """A progress bar on stderr (tqdm), shown only when stderr is a terminal."""

    def __init__(self, what: str, unit: str) -> None:
        self.what = what
        self.unit = unit
        self._bar: tqdm[NoReturn] | None = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = tqdm(
                total=total, desc=self.what, unit=f" {self.unit}", file=sys.stderr, disable=None
            )
        self._bar.total = total
        self._bar.update(done - self._bar.n)

    def end(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
