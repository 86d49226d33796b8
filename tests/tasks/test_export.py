"""Export of a project's results (CSV, JSONL, Label Studio) on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import csv
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import Runtime
from core.pseudonym import pseudonym
from people.models import User
from tasks import export, results
from tasks.export import export_project
from tasks.models import Assignment, WorkImage, WorkItem, WorkProject
from tasks.results import aggregate_project

WORKERS = (987654321, 987654322, 987654323, 987654324, 987654325, 987654326)
COORDINATOR = 987650001
JPEG = b"\xff\xd8\xff\xe0 a tiny stand-in for a prepared picture \xff\xd9"


def _project(project_id: str, kind: str, labels: list[str], method: str, now: datetime):
    spec = {
        "id": project_id,
        "kind": kind,
        "labels": [{"id": label, "text": {"en": label}} for label in labels],
        "aggregation": method,
    }
    return WorkProject(
        id=project_id,
        kind=kind,
        spec=spec,
        spec_digest="0" * 64,
        reward_minor=2,
        currency="USD",
        created_at=now,
    )


def _item(project_id: str, external_id: str, now: datetime, **fields: Any) -> WorkItem:
    fields.setdefault("content", {"text": f"item {external_id}"})
    fields.setdefault("needed", 3)
    return WorkItem(project_id=project_id, external_id=external_id, created_at=now, **fields)


def _answer(
    item: WorkItem, user_id: int, answer: list[str], now: datetime, **fields: Any
) -> Assignment:
    fields.setdefault("state", "answered")
    fields.setdefault("answer_ms", 4000)
    return Assignment(
        item_id=item.id,
        project_id=item.project_id,
        user_id=user_id,
        is_gold=item.is_gold,
        leased_at=now,
        expires_at=now + timedelta(minutes=5),
        answered_at=now + timedelta(seconds=4),
        answer=answer,
        **fields,
    )


async def _digits(rt: Runtime) -> None:
    """A classification project aggregated by Dawid-Skene: complete, gold, settled, open items."""
    now = rt.clock.now()
    async with rt.sessions() as session:
        for user_id in (*WORKERS, COORDINATOR):
            session.add(User(id=user_id, locale="ar", consented_at=now))
        session.add(_project("digits", "classification", ["1", "7"], "dawid-skene", now))
        image = WorkImage(digest="a" * 64, data=JPEG, width=8, height=8, source_bytes=100)
        session.add(image)
        await session.flush()
        items = {
            "a1": _item("digits", "a1", now, state="complete", answered=3),
            "a2": _item(
                "digits", "a2", now, state="complete", answered=3, image_id=image.id, content={}
            ),
            "g1": _item("digits", "g1", now, is_gold=True, gold=["7"], answered=2),
            "s1": _item(
                "digits",
                "s1",
                now,
                state="settled",
                label=["1"],
                confidence=1.0,
                settled_by=COORDINATOR,
                answered=2,
            ),
            "o1": _item("digits", "o1", now, answered=1),
        }
        session.add_all(items.values())
        await session.flush()
        w1, w2, w3, w4, w5, w6 = WORKERS
        session.add_all(
            [
                _answer(items["a1"], w1, ["7"], now),
                _answer(items["a1"], w2, ["7"], now),
                _answer(items["a1"], w3, ["1"], now),
                _answer(items["a2"], w1, ["1"], now),
                _answer(items["a2"], w2, ["1"], now),
                _answer(items["a2"], w4, ["1"], now),
                _answer(items["a2"], w3, ["7"], now, state="late"),
                _answer(items["a2"], w5, ["7"], now, too_fast=True, answer_ms=300),
                _answer(items["g1"], w1, ["7"], now, correct=True),
                _answer(items["g1"], w3, ["1"], now, correct=False),
                _answer(items["s1"], w5, ["7"], now),
                _answer(items["s1"], w6, ["7"], now),
                _answer(items["o1"], w2, ["1"], now),
                Assignment(  # a lease that was never answered: no raw answer
                    item_id=items["o1"].id,
                    project_id="digits",
                    user_id=w4,
                    leased_at=now,
                    expires_at=now + timedelta(minutes=5),
                    state="expired",
                ),
            ]
        )
        await session.commit()


def _names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def _read(paths: list[Path]) -> tuple[dict[str, dict[str, str]], dict[str, Any], list[Any]]:
    csv_path, jsonl_path, studio_path = paths
    with csv_path.open(newline="", encoding="utf-8") as file:
        rows = {row["id"]: row for row in csv.DictReader(file)}
    lines = jsonl_path.read_text(encoding="utf-8").splitlines()
    records = {record["id"]: record for record in map(json.loads, lines)}
    return rows, records, json.loads(studio_path.read_text(encoding="utf-8"))


async def test_export_writes_labels_answers_and_label_studio_tasks(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "PAGE", 2)  # several pages of items, and of answers
    monkeypatch.setattr(results, "PAGE", 3)
    await _digits(runtime)
    seen: list[tuple[int, int]] = []
    async with runtime.sessions() as session:
        paths = await export_project(
            session, "digits", tmp_path / "out", progress=lambda *p: seen.append(p)
        )
        await session.commit()

    assert [p.name for p in paths] == ["digits.csv", "digits.jsonl", "digits.label-studio.json"]
    assert _names(tmp_path / "out") == sorted(p.name for p in paths)
    assert seen == [(2, 5), (4, 5), (5, 5)]
    rows, records, tasks = _read(paths)

    assert list(rows) == ["a1", "a2", "g1", "s1", "o1"]
    assert rows["a1"]["label"] == "7" and rows["a1"]["state"] == "complete"
    assert 0.5 < float(rows["a1"]["confidence"]) < 1.0
    assert rows["a1"]["answers"] == "3" and rows["a1"]["gold"] == ""
    assert rows["a2"]["label"] == "1" and float(rows["a2"]["confidence"]) > 0.9
    assert rows["a2"]["answers"] == "3"  # the late and the too fast answers do not count
    raw = json.loads(rows["a2"]["raw_answers"])
    assert len(raw) == 5
    assert sorted((a["worker"], a["late"], a["too_fast"]) for a in raw) == sorted(
        [
            (pseudonym(WORKERS[0]), False, False),
            (pseudonym(WORKERS[1]), False, False),
            (pseudonym(WORKERS[3]), False, False),
            (pseudonym(WORKERS[2]), True, False),
            (pseudonym(WORKERS[4]), False, True),
        ]
    )
    assert rows["g1"]["gold"] == "7" and rows["g1"]["label"] == ""
    assert rows["s1"]["label"] == "1" and rows["s1"]["state"] == "settled"  # kept, though 7, 7
    assert rows["s1"]["confidence"] == "1.0"
    assert rows["o1"]["label"] == "" and rows["o1"]["answers"] == "1"

    a1 = records["a1"]
    assert a1["label"] == ["7"] and a1["answers_counted"] == 3
    assert a1["content"] == {"text": "item a1"}
    assert [a["answer"] for a in a1["answers"]] == [["7"], ["7"], ["1"]]
    assert {a["worker"] for a in a1["answers"]} == {pseudonym(w) for w in WORKERS[:3]}
    assert all(a["answer_ms"] == 4000 for a in a1["answers"])
    answered_at = datetime.fromisoformat(a1["answers"][0]["answered_at"])
    assert answered_at == runtime.clock.now() + timedelta(seconds=4)
    assert records["g1"]["gold"] == ["7"] and records["a1"]["gold"] is None
    assert len(records["o1"]["answers"]) == 1  # the expired lease is no answer

    by_item = {task["data"]["item"]: task for task in tasks}
    assert list(by_item) == ["a1", "a2", "g1", "s1", "o1"]
    text_task = by_item["a1"]
    assert text_task["data"]["text"] == "item a1"
    (prediction,) = text_task["predictions"]
    assert prediction["model_version"] == "rafiq-dawid-skene"
    assert prediction["score"] == float(rows["a1"]["confidence"])
    assert prediction["result"] == [
        {"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": ["7"]}}
    ]
    assert [a["result"][0]["value"]["choices"] for a in text_task["annotations"]] == [
        ["7"],
        ["7"],
        ["1"],
    ]
    assert text_task["annotations"][0]["completed_by"] == pseudonym(WORKERS[0])
    image_task = by_item["a2"]
    uri = image_task["data"]["image"]
    assert uri.startswith("data:image/jpeg;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == JPEG
    assert image_task["predictions"][0]["result"][0]["to_name"] == "image"
    assert image_task["predictions"][0]["result"][0]["value"] == {"choices": ["1"]}
    assert len(image_task["annotations"]) == 5
    assert "predictions" not in by_item["o1"]  # no label yet

    for path in paths:
        content = path.read_text(encoding="utf-8")
        for telegram_id in (*WORKERS, COORDINATOR):
            assert str(telegram_id) not in content, (path.name, telegram_id)

    async with runtime.sessions() as session:
        stored = {
            item.external_id: item
            for item in (await session.execute(WorkItem.__table__.select())).all()
        }
    assert stored["a1"].label == ["7"]
    assert stored["a1"].confidence == pytest.approx(float(rows["a1"]["confidence"]))
    assert stored["s1"].label == ["1"] and stored["o1"].label is None


async def test_majority_tagging_export_marks_none_apply(runtime: Runtime, tmp_path: Path) -> None:
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        for user_id in WORKERS[:3]:
            session.add(User(id=user_id, locale="uk", consented_at=now))
        session.add(_project("scenes", "tagging", ["car", "tree"], "majority", now))
        await session.flush()
        items = [
            _item("scenes", "t1", now, state="complete", answered=3),
            _item("scenes", "t2", now, state="complete", answered=3),
        ]
        session.add_all(items)
        await session.flush()
        for user_id, first, second in zip(
            WORKERS, (["car", "tree"], ["car"], ["car"]), ([], [], ["tree"]), strict=False
        ):
            session.add(_answer(items[0], user_id, first, now))
            session.add(_answer(items[1], user_id, second, now))
        await session.commit()
    async with runtime.sessions() as session:
        assert await aggregate_project(session, "scenes") == 2
        paths = await export_project(session, "scenes", tmp_path)
        await session.commit()
    rows, records, tasks = _read(paths)
    assert rows["t1"]["label"] == "car" and rows["t1"]["confidence"] == str(round(2 / 3, 4))
    assert rows["t2"]["label"] == "-" and records["t2"]["label"] == []
    assert tasks[0]["predictions"][0]["model_version"] == "rafiq-majority"
    assert tasks[1]["predictions"][0]["result"][0]["value"] == {"choices": []}
    assert tasks[0]["annotations"][0]["result"][0]["value"] == {"choices": ["car", "tree"]}


async def test_a_failed_export_leaves_no_files(runtime: Runtime, tmp_path: Path) -> None:
    await _digits(runtime)

    def fail(done: int, total: int) -> None:
        raise RuntimeError("disk full")

    async with runtime.sessions() as session:
        with pytest.raises(RuntimeError):
            await export_project(session, "digits", tmp_path / "out", progress=fail)
        with pytest.raises(LookupError):
            await export_project(session, "no-such-project", tmp_path / "out")
    assert _names(tmp_path / "out") == []
