"""From several workers' answers to one label per item: majority vote and Dawid-Skene.

Pure functions over plain values (no database). Answers are tuples of answer ids, as stored in
`Assignment.answer`: classification ``("7",)``, tagging the chosen label ids (``()`` = none
apply), verification ``("yes",)`` | ``("no",)`` | ``("unsure",)``, comparison ``("a",)`` |
``("b",)``. A verification "unsure" is no vote: it is left out of every count.

Dawid-Skene (1979) learns for every worker a confusion matrix (how often they answer l when
the truth is k) and the classes' prior by expectation-maximisation, starting from the
majority vote. A Dirichlet prior on each row of a confusion matrix pulls a worker with few
answers towards a typical worker, so two lucky answers do not make anyone an oracle. Tagging
(several labels per item) runs one present/absent model per label.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

UNSURE = "unsure"
KINDS = ("classification", "tagging", "verification", "comparison")


@dataclass(frozen=True, slots=True)
class Vote:
    """One worker's answer to one item."""

    item_id: int
    worker: str | int
    answer: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    """An item's aggregated label.

    `confidence` is the method's certainty in `label` (majority: the share of votes for it;
    Dawid-Skene: its posterior; tagging: the least certain label decision). `answers` counts the
    votes that counted (not "unsure"); `agreement` is the share of them agreeing with `label`
    (tagging: the smallest per-label share).
    """

    item_id: int
    label: tuple[str, ...]
    confidence: float
    answers: int
    agreement: float


def answer_ids_for(kind: str, label_ids: Sequence[str]) -> tuple[str, ...]:
    """The classes a project's answers fall into: its label ids, or the fixed answers."""
    if kind in ("classification", "tagging"):
        return tuple(label_ids)
    if kind == "verification":
        return ("yes", "no")
    if kind == "comparison":
        return ("a", "b")
    raise ValueError(f"unknown task kind {kind!r}")


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown task kind {kind!r}")


def _counted(votes: Iterable[Vote], kind: str) -> dict[int, list[Vote]]:
    """Votes by item, in item order of first appearance, without "unsure" verification votes."""
    by_item: dict[int, list[Vote]] = {}
    for vote in votes:
        bucket = by_item.setdefault(vote.item_id, [])
        if kind == "verification" and (not vote.answer or vote.answer[0] == UNSURE):
            continue
        bucket.append(vote)
    return by_item


def _rank(answer_ids: Sequence[str] | None) -> dict[str, int]:
    return {answer: i for i, answer in enumerate(answer_ids or ())}


def _tie_key(rank: dict[str, int], answer: str) -> tuple[int, str]:
    """Orders candidates: the project's label order first, then by id (deterministic)."""
    return (rank.get(answer, len(rank)), answer)


def _majority_single(item_id: int, votes: list[Vote], rank: dict[str, int]) -> Outcome:
    counts = Counter(vote.answer[0] for vote in votes if vote.answer)
    n = len(votes)
    if not counts:
        return Outcome(item_id, (), 0.0, n, 0.0)
    best = max(counts.values())
    winner = min((a for a, c in counts.items() if c == best), key=lambda a: _tie_key(rank, a))
    share = best / n
    return Outcome(item_id, (winner,), share, n, share)


def _majority_tags(item_id: int, votes: list[Vote], rank: dict[str, int]) -> Outcome:
    n = len(votes)
    if n == 0:
        return Outcome(item_id, (), 0.0, 0, 0.0)
    counts = Counter(tag for vote in votes for tag in set(vote.answer))
    chosen = sorted((t for t, c in counts.items() if c * 2 > n), key=lambda t: _tie_key(rank, t))
    # A label nobody chose is agreed on by everyone: only the chosen ones can lower the share.
    share = min((max(c, n - c) / n for c in counts.values()), default=1.0)
    return Outcome(item_id, tuple(chosen), share, n, share)


def majority(
    votes: Iterable[Vote], kind: str, answer_ids: Sequence[str] | None = None
) -> dict[int, Outcome]:
    """Majority vote per item. A tie goes to the answer first in `answer_ids` (else the
    smallest id); a tagging label is chosen when more than half of the votes chose it."""
    _check_kind(kind)
    rank = _rank(answer_ids)
    combine = _majority_tags if kind == "tagging" else _majority_single
    return {item: combine(item, vs, rank) for item, vs in _counted(votes, kind).items()}


def agreement(votes: Iterable[Vote], kind: str) -> tuple[tuple[str, ...], float]:
    """The majority label of one item's votes and the share agreeing with it (0 if none)."""
    outcomes = majority(votes, kind)
    if not outcomes:
        return (), 0.0
    if len(outcomes) > 1:
        raise ValueError("agreement() takes the votes of one item")
    (outcome,) = outcomes.values()
    return outcome.label, outcome.agreement


def _em(
    item_idx: np.ndarray,
    worker_idx: np.ndarray,
    answer_idx: np.ndarray,
    n_items: int,
    n_workers: int,
    n_classes: int,
    anchors: Mapping[int, int],
    iterations: int,
    tol: float,
    prior_accuracy: float,
    prior_strength: float,
) -> np.ndarray:
    """Dawid-Skene EM on flat vote arrays; returns the posterior, items x classes.

    `anchors` maps an item index to its known class (gold): its posterior stays fixed.
    """
    k = n_classes
    # Start from the (soft) majority vote.
    posterior = np.zeros((n_items, k))
    np.add.at(posterior, (item_idx, answer_idx), 1.0)
    totals = posterior.sum(axis=1, keepdims=True)
    posterior = np.where(totals > 0, posterior / np.maximum(totals, 1.0), 1.0 / k)
    anchor_rows = np.fromiter(anchors.keys(), dtype=np.int64, count=len(anchors))
    anchor_cols = np.fromiter(anchors.values(), dtype=np.int64, count=len(anchors))
    anchored = np.zeros((len(anchors), k))
    anchored[np.arange(len(anchors)), anchor_cols] = 1.0
    posterior[anchor_rows] = anchored

    if k > 1:
        off = prior_strength * (1.0 - prior_accuracy) / (k - 1)
        alpha = np.full((k, k), off)
        np.fill_diagonal(alpha, prior_strength * prior_accuracy)
    else:
        alpha = np.full((1, 1), prior_strength)
    cell = worker_idx * k + answer_idx  # (worker, given answer) of each vote

    for _ in range(iterations):
        # M-step: confusion[w, true, given] and class priors from the current posterior.
        weights = posterior[item_idx]  # votes x true class
        counts = np.empty((n_workers * k, k))
        for true in range(k):
            counts[:, true] = np.bincount(cell, weights=weights[:, true], minlength=n_workers * k)
        confusion = counts.reshape(n_workers, k, k).transpose(0, 2, 1) + alpha
        confusion /= confusion.sum(axis=2, keepdims=True)
        priors = (posterior.sum(axis=0) + 1.0) / (n_items + k)

        # E-step: log P(true = k | votes) up to a constant, per item.
        contrib = np.log(confusion[worker_idx, :, answer_idx])  # votes x true class
        log_post = np.tile(np.log(priors), (n_items, 1))
        for true in range(k):
            log_post[:, true] += np.bincount(item_idx, weights=contrib[:, true], minlength=n_items)
        log_post -= log_post.max(axis=1, keepdims=True)
        updated = np.exp(log_post)
        updated /= updated.sum(axis=1, keepdims=True)
        updated[anchor_rows] = anchored
        change = float(np.abs(updated - posterior).max()) if n_items else 0.0
        posterior = updated
        if change < tol:
            break
    return posterior


def dawid_skene(
    votes: Iterable[Vote],
    kind: str,
    answer_ids: Sequence[str],
    iterations: int = 50,
    tol: float = 1e-6,
    *,
    gold: Mapping[int, Sequence[str]] | None = None,
    prior_accuracy: float = 0.7,
    prior_strength: float = 2.0,
) -> dict[int, Outcome]:
    """Dawid-Skene labels per item; ties go to the answer first in `answer_ids`.

    `gold` (item id -> known answer) fixes those items' truth, which anchors the confusion
    matrices of the workers who answered them. A vote outside `answer_ids` is ignored. The
    Dirichlet prior gives every confusion row `prior_strength` pseudo-answers of a worker right
    `prior_accuracy` of the time.
    """
    _check_kind(kind)
    classes = tuple(a for a in answer_ids if not (kind == "verification" and a == UNSURE))
    if kind != "tagging" and not classes:
        raise ValueError("dawid_skene needs the answer ids")
    rank = {a: i for i, a in enumerate(classes)}
    gold = gold or {}
    by_item = _counted(votes, kind)

    items = list(by_item)
    item_pos = {item: i for i, item in enumerate(items)}
    workers: dict[str | int, int] = {}
    rows: list[tuple[int, int, tuple[str, ...]]] = []
    for item, vs in by_item.items():
        for vote in vs:
            w = workers.setdefault(vote.worker, len(workers))
            rows.append((item_pos[item], w, vote.answer))
    params = {
        "n_items": len(items),
        "n_workers": len(workers),
        "iterations": iterations,
        "tol": tol,
        "prior_accuracy": prior_accuracy,
        "prior_strength": prior_strength,
    }
    if kind == "tagging":
        return _dawid_skene_tags(by_item, items, item_pos, rows, classes, gold, params)

    kept = [(i, w, rank[a[0]]) for i, w, a in rows if a and a[0] in rank]
    arrays = np.array(kept, dtype=np.int64).reshape(-1, 3)
    anchors = {
        item_pos[item]: rank[answer[0]]
        for item, answer in gold.items()
        if item in item_pos and answer and answer[0] in rank
    }
    voted = np.zeros(len(items), dtype=bool)
    voted[arrays[:, 0]] = True
    posterior = _em(
        arrays[:, 0], arrays[:, 1], arrays[:, 2], n_classes=len(classes), anchors=anchors, **params
    )
    outcomes: dict[int, Outcome] = {}
    for i, item in enumerate(items):
        counted = [v for v in by_item[item] if v.answer and v.answer[0] in rank]
        if not voted[i] and i not in anchors:
            outcomes[item] = Outcome(item, (), 0.0, len(counted), 0.0)
            continue
        best = int(np.argmax(posterior[i]))  # the first maximum: label order breaks ties
        label = classes[best]
        agreeing = sum(1 for v in counted if v.answer[0] == label)
        share = agreeing / len(counted) if counted else 0.0
        outcomes[item] = Outcome(item, (label,), float(posterior[i, best]), len(counted), share)
    return outcomes


def _dawid_skene_tags(
    by_item: dict[int, list[Vote]],
    items: list[int],
    item_pos: dict[int, int],
    rows: list[tuple[int, int, tuple[str, ...]]],
    labels: tuple[str, ...],
    gold: Mapping[int, Sequence[str]],
    params: dict[str, float | int],
) -> dict[int, Outcome]:
    """One present/absent Dawid-Skene per label; an item's set is the labels likelier present."""
    n = len(items)
    if not rows:
        return {item: Outcome(item, (), 0.0, 0, 0.0) for item in items}
    item_idx = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    worker_idx = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    n_votes = np.bincount(item_idx, minlength=n)
    present = np.zeros((n, len(labels)))
    certainty = np.ones((n, len(labels)))
    agreeing = np.ones((n, len(labels)))
    for j, label in enumerate(labels):
        said = np.fromiter((label in r[2] for r in rows), dtype=np.int64, count=len(rows))
        anchors = {
            item_pos[item]: int(label in answer)
            for item, answer in gold.items()
            if item in item_pos
        }
        posterior = _em(item_idx, worker_idx, said, n_classes=2, anchors=anchors, **params)
        present[:, j] = posterior[:, 1]
        certainty[:, j] = posterior.max(axis=1)
        yes = np.bincount(item_idx, weights=said, minlength=n)
        decided = posterior[:, 1] > 0.5
        agreeing[:, j] = np.where(decided, yes, n_votes - yes) / np.maximum(n_votes, 1)
    outcomes = {}
    for i, item in enumerate(items):
        chosen = tuple(label for j, label in enumerate(labels) if present[i, j] > 0.5)
        outcomes[item] = Outcome(
            item,
            chosen,
            float(certainty[i].min()) if labels else 1.0,
            len(by_item[item]),
            float(agreeing[i].min()) if labels else 1.0,
        )
    return outcomes
