"""Label quality: majority vote beside Dawid-Skene on simulated workers of known accuracy.

    .venv/bin/python -m bench.quality [--seed 7] [--items N]

The truth is the handwritten-digits demo's (tasks/demo_tools/digits_truth.csv) when that file
exists, else synthetic digits. Workers: good (right 90% of the time), careless (60%, errors
spread evenly), and adversarial (one always answers the same digit, others swap pairs such as
1<->7). Each item gets 3 to 5 answers from distinct workers. Seeds are fixed.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tasks.aggregation import Vote, dawid_skene, majority

DIGITS = tuple(str(d) for d in range(10))
TRUTH_FILE = Path(__file__).resolve().parent.parent / "tasks" / "demo_tools" / "digits_truth.csv"
SWAPS = ({"1": "7", "7": "1"}, {"3": "8", "8": "3"}, {"4": "9", "9": "4"}, {"5": "6", "6": "5"})


@dataclass(frozen=True)
class Worker:
    name: str
    kind: str  # good | careless | fixed | swapper
    accuracy: float = 0.9
    fixed: str | None = None
    swap: dict[str, str] | None = None

    def answer(self, truth: str, rng: np.random.Generator) -> str:
        if self.kind == "fixed":
            return self.fixed or "0"
        if self.kind == "swapper" and self.swap and truth in self.swap:
            return self.swap[truth]
        if rng.random() < self.accuracy:
            return truth
        return str(rng.choice([d for d in DIGITS if d != truth]))


def load_truth(items: int | None, rng: np.random.Generator, path: Path = TRUTH_FILE) -> list[str]:
    """True digits: the demo's truth file (its label column, repeated to `items` if given) when
    present, else `items` (default 300) random ones."""
    if path.exists():
        with path.open(newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
        if rows:
            names = rows[0].keys()
            column = next(
                (c for c in ("label", "digit", "truth", "gold") if c in names), list(names)[-1]
            )
            found = [row[column].strip() for row in rows if row[column].strip() in DIGITS]
            if found:
                return [found[i % len(found)] for i in range(items or len(found))]
    return [str(d) for d in rng.integers(0, 10, size=items or 300)]


def crowd(good: int = 8, careless: int = 6, fixed: int = 2, swappers: int = 4) -> list[Worker]:
    workers = [Worker(f"good{i}", "good", 0.9) for i in range(good)]
    workers += [Worker(f"careless{i}", "careless", 0.6) for i in range(careless)]
    workers += [Worker(f"fixed{i}", "fixed", fixed=str((3 + 4 * i) % 10)) for i in range(fixed)]
    workers += [
        Worker(f"swapper{i}", "swapper", 0.9, swap=SWAPS[i % len(SWAPS)]) for i in range(swappers)
    ]
    return workers


def simulate(
    seed: int = 7, items: int | None = None, workers: Sequence[Worker] | None = None
) -> tuple[list[Vote], dict[int, str]]:
    """Votes of `workers` (default `crowd()`) on `items` digits, 3..5 distinct workers each."""
    rng = np.random.default_rng(seed)
    team = list(workers) if workers is not None else crowd()
    truth = dict(enumerate(load_truth(items, rng), start=1))
    votes = []
    for item, digit in truth.items():
        overlap = int(rng.integers(3, 6))
        for w in rng.choice(len(team), size=overlap, replace=False):
            worker = team[int(w)]
            votes.append(Vote(item, worker.name, (worker.answer(digit, rng),)))
    return votes, truth


def accuracy(outcomes: dict, truth: dict[int, str]) -> float:
    right = sum(1 for item, digit in truth.items() if outcomes[item].label == (digit,))
    return right / len(truth)


def compare(seed: int = 7, items: int | None = None) -> dict[str, float]:
    """Accuracy of majority vote and Dawid-Skene on one seeded simulation, and DS's seconds."""
    votes, truth = simulate(seed, items)
    started = time.perf_counter()
    ds = dawid_skene(votes, "classification", DIGITS)
    seconds = time.perf_counter() - started
    return {
        "majority": accuracy(majority(votes, "classification", DIGITS), truth),
        "dawid-skene": accuracy(ds, truth),
        "seconds": seconds,
        "votes": float(len(votes)),
        "items": float(len(truth)),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--items", type=int, help="default: the truth file's, else 300")
    args = parser.parse_args(argv)
    source = TRUTH_FILE.name if TRUTH_FILE.exists() else "synthetic digits"
    team = crowd()
    kinds = ", ".join(
        f"{sum(w.kind == k for w in team)} {k}" for k in dict.fromkeys(w.kind for w in team)
    )
    result = compare(args.seed, args.items)
    items, answers = int(result["items"]), int(result["votes"])
    print(f"truth: {source}; {items} items, {answers} answers; workers: {kinds}")
    print(f"majority vote  accuracy {result['majority']:.3f}")
    print(f"Dawid-Skene    accuracy {result['dawid-skene']:.3f}  ({result['seconds']:.3f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
