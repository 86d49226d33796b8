"""A project's results as files: CSV, JSON lines, and a Label Studio task import.

`export_project` aggregates first (tasks.results), then writes, a page of items at a time:

- ``<project>.csv``: one row per item: id, state, label (ids joined by ``|``; ``-`` for a
  tagging item where none apply), confidence, answers (counted), gold, raw_answers (JSON);
- ``<project>.jsonl``: one object per item with its content and raw answers;
- ``<project>.label-studio.json``: Label Studio's JSON task list with the aggregated label as a
  prediction (``model_version`` ``rafiq-<method>``, ``score`` = confidence) and one annotation per
  raw answer, in the ``choices`` result format (``from_name`` "label", ``to_name`` "image" or
  "text"); pictures are inline ``data:image/jpeg;base64`` URIs, so the file stands alone.

Workers appear only as pseudonyms (core.pseudonym), never as Telegram ids. Each file is written
to a temporary name beside it and renamed into place when complete.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.pseudonym import pseudonym
from tasks.models import Assignment, AssignmentState, WorkImage, WorkItem, WorkProject
from tasks.results import aggregate_project, method_of

PAGE = 500
CSV_COLUMNS = ("id", "state", "label", "confidence", "answers", "gold", "raw_answers")
NONE_APPLY = "-"  # a tagging label or gold where no label applies (as in the items file)

Progress = Callable[[int, int], None]


@contextmanager
def _atomic(path: Path) -> Iterator[IO[str]]:
    """A text file that appears at `path` only when the block ends without an error."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            yield file
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _ids(ids: list[str] | None, kind: str) -> str:
    if ids is None:
        return ""
    if not ids and kind == "tagging":
        return NONE_APPLY
    return "|".join(ids)


def _raw(row: Any) -> dict[str, Any]:
    return {
        "worker": pseudonym(row.user_id) if row.user_id is not None else None,
        "answer": list(row.answer or ()),
        "answered_at": row.answered_at.isoformat() if row.answered_at else None,
        "answer_ms": row.answer_ms,
        "late": row.state == AssignmentState.LATE,
        "too_fast": bool(row.too_fast),
    }


def _data_uri(data: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")


def _choices(answer: list[str], to_name: str) -> list[dict[str, Any]]:
    return [
        {
            "from_name": "label",
            "to_name": to_name,
            "type": "choices",
            "value": {"choices": list(answer)},
        }
    ]


def _label_studio_task(
    item: Any, raw: list[dict[str, Any]], images: dict[int, bytes], model_version: str
) -> dict[str, Any]:
    content = item.content or {}
    data: dict[str, Any] = {"item": item.external_id}
    for key in ("text", "text_b", "suggestion"):
        if content.get(key) is not None:
            data[key] = content[key]
    if item.image_id is not None:
        data["image"] = _data_uri(images[item.image_id])
    if item.image_b_id is not None:
        data["image_b"] = _data_uri(images[item.image_b_id])
    to_name = "image" if item.image_id is not None else "text"
    task: dict[str, Any] = {"data": data}
    if item.label is not None:
        task["predictions"] = [
            {
                "model_version": model_version,
                "score": item.confidence,
                "result": _choices(item.label, to_name),
            }
        ]
    task["annotations"] = [
        {
            "completed_by": answer["worker"],
            "result": _choices(answer["answer"], to_name),
            "lead_time": answer["answer_ms"] / 1000 if answer["answer_ms"] is not None else None,
            "created_at": answer["answered_at"],
            "was_cancelled": False,
            "ground_truth": False,
        }
        for answer in raw
    ]
    return task


async def _page(session: AsyncSession, project_id: str, after: int) -> list[Any]:
    return list(
        (
            await session.execute(
                select(
                    WorkItem.id,
                    WorkItem.external_id,
                    WorkItem.state,
                    WorkItem.label,
                    WorkItem.confidence,
                    WorkItem.is_gold,
                    WorkItem.gold,
                    WorkItem.content,
                    WorkItem.image_id,
                    WorkItem.image_b_id,
                )
                .where(WorkItem.project_id == project_id, WorkItem.id > after)
                .order_by(WorkItem.id)
                .limit(PAGE)
            )
        ).all()
    )


async def _answers(session: AsyncSession, item_ids: list[int]) -> dict[int, list[Any]]:
    rows = await session.execute(
        select(
            Assignment.item_id,
            Assignment.user_id,
            Assignment.state,
            Assignment.answer,
            Assignment.answered_at,
            Assignment.answer_ms,
            Assignment.too_fast,
        )
        .where(
            Assignment.item_id.in_(item_ids),
            Assignment.state.in_((AssignmentState.ANSWERED, AssignmentState.LATE)),
        )
        .order_by(Assignment.item_id, Assignment.answered_at, Assignment.id)
    )
    by_item: dict[int, list[Any]] = {}
    for row in rows:
        by_item.setdefault(row.item_id, []).append(row)
    return by_item


async def _images(session: AsyncSession, items: list[Any]) -> dict[int, bytes]:
    wanted = {i for item in items for i in (item.image_id, item.image_b_id) if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(
        select(WorkImage.id, WorkImage.data).where(WorkImage.id.in_(wanted))
    )
    return {image_id: data for image_id, data in rows}


async def export_project(
    session: AsyncSession,
    project_id: str,
    out_dir: Path,
    progress: Progress | None = None,
) -> list[Path]:
    """Aggregate the project's answers, then write its CSV, JSONL and Label Studio files.

    Returns the three paths. Raises LookupError for an unknown project. Writes labels to the
    session (tasks.results.aggregate_project) and leaves the commit to the caller.
    """
    project = await session.get(WorkProject, project_id)
    if project is None:
        raise LookupError(f"no project {project_id!r}")
    await aggregate_project(session, project_id)
    model_version = f"rafiq-{method_of(project)}"
    kind = project.kind
    total = (
        await session.execute(
            select(func.count()).select_from(WorkItem).where(WorkItem.project_id == project_id)
        )
    ).scalar_one()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [
        out_dir / f"{project_id}.csv",
        out_dir / f"{project_id}.jsonl",
        out_dir / f"{project_id}.label-studio.json",
    ]
    with ExitStack() as files:
        csv_file, jsonl_file, studio_file = (files.enter_context(_atomic(p)) for p in paths)
        table = csv.writer(csv_file)
        table.writerow(CSV_COLUMNS)
        studio_file.write("[")
        done, after = 0, 0
        while items := await _page(session, project_id, after):
            answers = await _answers(session, [item.id for item in items])
            images = await _images(session, items)
            for item in items:
                raw = [_raw(row) for row in answers.get(item.id, [])]
                counted = sum(
                    1
                    for row in answers.get(item.id, [])
                    if row.state == AssignmentState.ANSWERED and not row.too_fast
                )
                confidence = round(item.confidence, 4) if item.confidence is not None else None
                raw_json = json.dumps(raw, ensure_ascii=False)
                table.writerow(
                    (
                        item.external_id,
                        item.state,
                        _ids(item.label, kind),
                        "" if confidence is None else confidence,
                        counted,
                        _ids(item.gold, kind) if item.is_gold else "",
                        raw_json,
                    )
                )
                record = {
                    "id": item.external_id,
                    "state": item.state,
                    "label": item.label,
                    "confidence": confidence,
                    "answers_counted": counted,
                    "gold": item.gold if item.is_gold else None,
                    "content": item.content,
                    "answers": raw,
                }
                jsonl_file.write(json.dumps(record, ensure_ascii=False) + "\n")
                task = _label_studio_task(item, raw, images, model_version)
                studio_file.write(
                    ("\n" if done == 0 else ",\n") + json.dumps(task, ensure_ascii=False)
                )
                done += 1
            after = items[-1].id
            if progress is not None:
                progress(done, total)
        studio_file.write("\n]\n")
    return paths
