"""Importing project folders: everything is checked first, nothing is written when anything is
wrong, images go through the pipeline, and a re-import adds only what is new."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.app import Runtime
from bot.cli import main
from tasks.importer import (
    ImportProblems,
    ImportSummary,
    apply_import,
    check_against_database,
    plan_import,
)
from tasks.models import WorkImage, WorkItem, WorkProject
from tasks.spec import ProjectSpec

SPEC = """\
id: {id}
kind: {kind}
requires: [image-labelling]
title: {{en: Digits, ar: أرقام, fa_AF: ارقام, uk: Цифри}}
instructions: {{en: Pick the digit., ar: اختر الرقم., fa_AF: عدد را انتخاب کنید., uk: Оберіть.}}
{labels}reward: {{amount_minor: 2, currency: USD}}
overlap: 3
max_overlap: 5
items: {items}
"""
LABELS = """\
labels:
  - id: "3"
    text: {en: "3", ar: "٣", fa_AF: "۳", uk: "3"}
  - id: "7"
    text: {en: "7", ar: "٧", fa_AF: "۷", uk: "7"}
  - id: "9"
    text: {en: "9", ar: "٩", fa_AF: "۹", uk: "9"}
"""
CRITERION = "criterion: {en: Clearer?, ar: أوضح؟, fa_AF: واضح‌تر؟, uk: Ясніше?}\n"
EXPLAINED = "It has a bar.,له خط.,خط دارد.,Має риску."

GOOD_CSV = f"""\
id,image,gold,explanation_en,explanation_ar,explanation_fa_AF,explanation_uk,priority,language
d1,images/a.png,7,{EXPLAINED},,
d2,images/b.png,,,,,,5,ar
d3,images/a.png,,,,,,-2,
"""


def png(path: Path, colour: str = "black", size: tuple[int, int] = (28, 28)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)
    return path


def make_project(
    root: Path,
    items: str,
    *,
    kind: str = "classification",
    project_id: str = "digits",
    items_name: str = "items.csv",
    labels: str = LABELS,
) -> Path:
    folder = root / project_id
    folder.mkdir(parents=True, exist_ok=True)
    spec = SPEC.format(id=project_id, kind=kind, labels=labels, items=items_name)
    (folder / "project.yaml").write_text(spec, encoding="utf-8")
    (folder / items_name).write_text(items, encoding="utf-8")
    png(folder / "images" / "a.png", "black")
    png(folder / "images" / "b.png", "white")
    return folder


async def count(rt: Runtime, table: type) -> int:
    async with rt.sessions() as session:
        return (await session.execute(select(func.count()).select_from(table))).scalar_one()


async def run_import(rt: Runtime, folder: Path) -> ImportSummary:
    plan = plan_import(folder)
    async with rt.sessions() as session:
        summary = await apply_import(session, plan, rt.clock.now())
        await session.commit()
    return summary


async def items_of(rt: Runtime, project_id: str) -> dict[str, WorkItem]:
    async with rt.sessions() as session:
        rows = await session.scalars(select(WorkItem).where(WorkItem.project_id == project_id))
        return {item.external_id: item for item in rows}


def problem_lines(folder: Path) -> list[str]:
    with pytest.raises(ImportProblems) as caught:
        plan_import(folder)
    assert str(caught.value) == "\n".join(str(problem) for problem in caught.value.problems)
    return [str(problem).replace(f"{folder}/", "") for problem in caught.value.problems]


# -- a good import ----------------------------------------------------------------------------


async def test_csv_import_writes_project_images_and_items(runtime: Runtime, tmp_path: Path) -> None:
    folder = make_project(tmp_path, GOOD_CSV)
    summary = await run_import(runtime, folder)
    assert summary == ImportSummary(
        project_id="digits",
        project_created=True,
        items_added=3,
        items_present=0,
        images_added=2,  # d1 and d3 share a.png
        source_bytes=summary.source_bytes,
        prepared_bytes=summary.prepared_bytes,
    )
    sizes = [(folder / "images" / name).stat().st_size for name in ("a.png", "b.png")]
    assert summary.source_bytes == sum(sizes)
    async with runtime.sessions() as session:
        project = await session.get(WorkProject, "digits")
        assert project is not None
        assert (project.kind, project.state, project.reward_minor, project.currency) == (
            "classification",
            "open",
            2,
            "USD",
        )
        spec = ProjectSpec.from_json(project.spec, project.spec_digest)
        assert spec.label_ids() == ("3", "7", "9") and spec.max_overlap == 5
        assert project.spec_digest == spec.digest()
        images = (await session.scalars(select(WorkImage))).all()
        assert summary.prepared_bytes == sum(len(image.data) for image in images)
    items = await items_of(runtime, "digits")
    assert sorted(items) == ["d1", "d2", "d3"]
    d1, d2, d3 = items["d1"], items["d2"], items["d3"]
    assert d1.is_gold and d1.gold == ["7"] and d1.needed == 3 and d1.state == "open"
    assert d1.content == {
        "explanation": {
            "en": "It has a bar.",
            "ar": "له خط.",
            "fa_AF": "خط دارد.",
            "uk": "Має риску.",
        }
    }
    assert not d2.is_gold and d2.gold is None and d2.content == {}
    assert (d2.priority, d2.queue_rank, d2.language) == (5, -5, "ar")
    assert (d3.priority, d3.queue_rank, d3.language) == (-2, 2, None)
    assert d1.image_id == d3.image_id != d2.image_id
    assert d1.image_b_id is None and d1.answered == d1.leased == 0


async def test_reimport_adds_only_new_items(runtime: Runtime, tmp_path: Path) -> None:
    folder = make_project(tmp_path, GOOD_CSV)
    await run_import(runtime, folder)
    again = await run_import(runtime, folder)
    assert (again.project_created, again.items_added, again.items_present, again.images_added) == (
        False,
        0,
        3,
        0,
    )
    assert await count(runtime, WorkItem) == 3 and await count(runtime, WorkImage) == 2
    png(folder / "images" / "c.png", "red")
    (folder / "items.csv").write_text(GOOD_CSV + "d4,images/c.png,,,,,,,\n", encoding="utf-8")
    more = await run_import(runtime, folder)
    assert (more.items_added, more.items_present, more.images_added) == (1, 3, 1)
    assert sorted(await items_of(runtime, "digits")) == ["d1", "d2", "d3", "d4"]


async def test_a_changed_item_or_kind_or_removed_label_is_refused(
    runtime: Runtime, tmp_path: Path
) -> None:
    folder = make_project(tmp_path, GOOD_CSV)
    await run_import(runtime, folder)
    changed = GOOD_CSV.replace("d2,images/b.png,,", "d2,images/a.png,3,").replace(",-2,", ",-3,")
    (folder / "items.csv").write_text(changed + "d5,images/b.png,,,,,,,\n", encoding="utf-8")
    spec = (folder / "project.yaml").read_text(encoding="utf-8")
    nine = '  - id: "9"\n    text: {en: "9", ar: "٩", fa_AF: "۹", uk: "9"}\n'
    (folder / "project.yaml").write_text(
        spec.replace("kind: classification", "kind: tagging").replace(nine, ""), "utf-8"
    )
    plan = plan_import(folder)
    async with runtime.sessions() as session:
        found = [
            str(problem).split(str(tmp_path))[1]
            for problem in await check_against_database(session, plan)
        ]
        assert found == [
            '/digits/project.yaml:2: project "digits" is already a classification project;'
            " its kind cannot change (use a new id)",
            '/digits/project.yaml:6: project "digits" already has the labels 9, missing here'
            " (labels may be added, not removed)",
            '/digits/items.csv:3: item "d2" is already in project "digits" with a different'
            " image, gold (an imported item does not change; give it a new id)",
            '/digits/items.csv:4: item "d3" is already in project "digits" with a different'
            " priority (an imported item does not change; give it a new id)",
        ]
        with pytest.raises(ImportProblems):
            await apply_import(session, plan, runtime.clock.now())
        await session.commit()
    assert sorted(await items_of(runtime, "digits")) == ["d1", "d2", "d3"]
    async with runtime.sessions() as session:
        project = await session.get(WorkProject, "digits")
        assert project is not None and project.kind == "classification"
        assert [label["id"] for label in project.spec["labels"]] == ["3", "7", "9"]


async def test_labels_may_be_added_and_the_spec_is_replaced(
    runtime: Runtime, tmp_path: Path
) -> None:
    folder = make_project(tmp_path, GOOD_CSV)
    await run_import(runtime, folder)
    spec = (folder / "project.yaml").read_text(encoding="utf-8")
    one = '  - id: "1"\n    text: {en: "1", ar: "١", fa_AF: "۱", uk: "1"}\n'
    spec = spec.replace("reward: {amount_minor: 2", one + "reward: {amount_minor: 4")
    (folder / "project.yaml").write_text(spec, encoding="utf-8")
    summary = await run_import(runtime, folder)
    assert summary.items_present == 3 and summary.items_added == 0
    async with runtime.sessions() as session:
        project = await session.get(WorkProject, "digits")
        assert project is not None and project.reward_minor == 4
        assert ProjectSpec.from_json(project.spec).label_ids() == ("3", "7", "9", "1")


async def test_two_projects_share_an_image(runtime: Runtime, tmp_path: Path) -> None:
    await run_import(runtime, make_project(tmp_path, "id,image\nx,images/a.png\n"))
    other = make_project(tmp_path, "id,image\ny,images/a.png\n", project_id="digits-2")
    summary = await run_import(runtime, other)
    assert summary.images_added == 0 and summary.items_added == 1
    assert await count(runtime, WorkImage) == 1
    first, second = (
        (await items_of(runtime, "digits"))["x"],
        (await items_of(runtime, "digits-2"))["y"],
    )
    assert first.image_id == second.image_id


# -- the image pipeline -----------------------------------------------------------------------


def photo_with_gps_and_orientation(path: Path) -> None:
    """A 200x100 JPEG, left half red, right half blue, whose EXIF says: turn 90° clockwise."""
    image = Image.new("RGB", (200, 100), "blue")
    image.paste((255, 0, 0), (0, 0, 100, 100))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to view
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (34.0, 31.0, 12.0), 3: "E", 4: (69.0, 10.0, 30.0)}  # GPS
    image.save(path, "JPEG", exif=exif.tobytes(), quality=95)
    reread = Image.open(path).getexif()
    assert reread[0x0112] == 6 and reread.get_ifd(0x8825)[1] == "N"


async def test_images_come_out_upright_without_exif(runtime: Runtime, tmp_path: Path) -> None:
    folder = make_project(tmp_path, "id,image\nphoto,images/photo.jpg\nbig,images/big.png\n")
    photo_with_gps_and_orientation(folder / "images" / "photo.jpg")
    png(folder / "images" / "big.png", "green", size=(3000, 1500))
    await run_import(runtime, folder)
    items = await items_of(runtime, "digits")
    async with runtime.sessions() as session:
        photo = await session.get(WorkImage, items["photo"].image_id)
        big = await session.get(WorkImage, items["big"].image_id)
    assert photo is not None and big is not None
    picture = Image.open(io.BytesIO(photo.data))
    assert picture.format == "JPEG" and picture.size == (100, 200) == (photo.width, photo.height)
    assert not picture.getexif() and "exif" not in picture.info
    assert b"PhoneMaker" not in photo.data and b"GPS" not in photo.data
    top, bottom = picture.convert("RGB").getpixel((50, 40)), picture.getpixel((50, 160))
    assert top[0] > 200 and top[2] < 60, top  # the red half is on top once turned
    assert bottom[2] > 200 and bottom[0] < 60, bottom
    assert photo.source_bytes == (folder / "images" / "photo.jpg").stat().st_size
    assert (big.width, big.height) == (1024, 512) and len(big.data) <= 80_000


# -- problems ---------------------------------------------------------------------------------


BROKEN_CSV = """\
id,image,gold,language,priority,deadline
ok,images/a.png,7,,,
,images/a.png,,,,
ok,images/b.png,,,,
two,images/missing.png,,,,
three,images/corrupt.png,,,,
four,images/a.png,8,de,high,tomorrow
five,,,,,2025-07-01T18:00:00
six,../outside.png,,,,
seven,images/b.png,3,en,1,2025-07-01T18:00:00+03:00,extra
"""


async def test_broken_csv_names_every_problem_and_imports_nothing(
    runtime: Runtime, tmp_path: Path
) -> None:
    folder = make_project(tmp_path, BROKEN_CSV)
    (folder / "images" / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    assert problem_lines(folder) == [
        "items.csv:3: missing id",
        'items.csv:4: duplicate id "ok" (first on row 2)',
        'items.csv:5: image "images/missing.png": the file is missing',
        'items.csv:6: image "images/corrupt.png": not an image (unrecognised file format)',
        'items.csv:7: gold "8" is not a label of the project (3, 7, 9)',
        'items.csv:7: language "de" is not one of ar, fa_AF, uk, en (leave it empty for anyone)',
        'items.csv:7: priority must be a whole number from -1000000 to 1000000, not "high"',
        "items.csv:7: deadline must be an ISO 8601 time with its zone"
        ' (like 2025-07-01T18:00:00+03:00), not "tomorrow"',
        'items.csv:8: the item needs "text" or "image"',
        "items.csv:8: deadline must be an ISO 8601 time with its zone"
        ' (like 2025-07-01T18:00:00+03:00), not "2025-07-01T18:00:00"',
        'items.csv:9: image "../outside.png" must be a path inside the project folder',
        "items.csv:10: the row has 7 cells; the header has 6",
    ]
    assert await count(runtime, WorkProject) == 0
    assert await count(runtime, WorkItem) == 0 and await count(runtime, WorkImage) == 0


@pytest.mark.parametrize(
    ("kind", "labels", "items", "expected"),
    [
        (
            "classification",
            LABELS,
            "id,text,colour\nx,hello,red\n",
            [
                'items.csv:1: unknown column "colour" (expected: id, text, image, text_b,'
                " image_b, suggestion, gold, explanation_ar, explanation_fa_AF, explanation_uk,"
                " explanation_en, language, priority, deadline)"
            ],
        ),
        (
            "classification",
            LABELS,
            "text,image\nhello,\n",
            ['items.csv:1: the "id" column is missing'],
        ),
        ("classification", LABELS, "id,text\n", ["items.csv: items.csv has no items"]),
        (
            "classification",
            LABELS,
            "id,text,text_b\nx,hello,there\n",
            ['items.csv:2: "text_b" is only for comparison projects, not classification'],
        ),
        (
            "classification",
            LABELS,
            "id,text,gold,explanation_en\nx,hi,3|7,Why\ny,hi,,Why\n",
            [
                "items.csv:2: gold of a classification item is one of 3, 7, 9",
                "items.csv:2: the explanation is missing in ar, fa_AF, uk (give all four or none)",
                "items.csv:3: the explanation is missing in ar, fa_AF, uk (give all four or none)",
                "items.csv:3: an explanation is for gold items (this one has no gold)",
            ],
        ),
        (
            "tagging",
            LABELS,
            "id,text,gold\nx,hi,3|3\ny,hi,3||7\nz,hi,-\nw,hi,3|7\n",
            [
                "items.csv:2: gold names 3 twice",
                'items.csv:3: gold has an empty id (separate ids with "|"; "-" = none)',
            ],
        ),
        (
            "verification",
            LABELS,
            "id,text,suggestion,gold\nx,hi,,\ny,hi,4,yes\nz,hi,3,unsure\nw,hi,3,no\n",
            [
                'items.csv:2: a verification item needs a "suggestion" (the label to check)',
                'items.csv:3: suggestion "4" is not a label of the project (3, 7, 9)',
                'items.csv:4: gold "unsure" cannot be checked: a gold answer is yes or no',
            ],
        ),
        (
            "comparison",
            CRITERION,
            "id,text,image_b,gold\nx,hi,,a\ny,hi,images/a.png,c\nz,hi,images/a.png,b\n",
            [
                'items.csv:2: a comparison item needs "text_b" or "image_b" (answer b)',
                'items.csv:3: gold "c" is not an answer (a, b)',
            ],
        ),
    ],
)
def test_row_problems_by_kind(
    tmp_path: Path, kind: str, labels: str, items: str, expected: list[str]
) -> None:
    folder = make_project(tmp_path, items, kind=kind, labels=labels)
    assert problem_lines(folder) == expected


def test_a_broken_spec_is_reported_by_line(tmp_path: Path) -> None:
    folder = make_project(tmp_path, "id,text\nx,hi\n")
    spec = folder / "project.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("overlap: 3", "overlap: 0"), "utf-8")
    assert problem_lines(folder) == ['project.yaml:14: "overlap" must be at least 1, not 0']
    (folder / "items.csv").unlink()
    spec.write_text(spec.read_text(encoding="utf-8").replace("overlap: 0", "overlap: 1"), "utf-8")
    assert problem_lines(folder) == ["items.csv: the items file items.csv is missing"]


# -- JSONL -----------------------------------------------------------------------------------


async def test_jsonl_import(runtime: Runtime, tmp_path: Path) -> None:
    rows = [
        {
            "id": 1,
            "text": "Where is my parcel?",
            "gold": ["3", "7"],
            "explanation": {"en": "Both.", "ar": "كلاهما.", "fa_AF": "هردو.", "uk": "Обидва."},
        },
        {"id": "2", "text": "Thanks!", "gold": []},
        {
            "id": "3",
            "image": "images/a.png",
            "language": "uk",
            "priority": 2,
            "deadline": "2025-07-01T18:00:00+03:00",
        },
    ]
    lines = "\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n\n"
    folder = make_project(tmp_path, lines, kind="tagging", items_name="items.jsonl")
    summary = await run_import(runtime, folder)
    assert (summary.items_added, summary.images_added) == (3, 1)
    items = await items_of(runtime, "digits")
    assert items["1"].gold == ["3", "7"] and items["1"].content["explanation"]["uk"] == "Обидва."
    assert items["1"].content["text"] == "Where is my parcel?"
    assert items["2"].is_gold and items["2"].gold == []
    assert items["3"].deadline == datetime(2025, 7, 1, 15, 0, tzinfo=UTC)
    assert (items["3"].language, items["3"].queue_rank) == ("uk", -2)
    assert (await run_import(runtime, folder)).items_present == 3


def test_jsonl_problems(tmp_path: Path) -> None:
    lines = "\n".join(
        [
            '{"id": "a", "text": "hi"}',
            "{not json",
            '["a list"]',
            '{"id": "b", "text": 5, "gold": {"x": 1}, "note": "?"}',
            '{"id": "c", "text": ["hi"], "explanation": "why"}',
            '{"id": "d", "text": "x", "explanation": {"de": "Warum"}, "gold": "3"}',
        ]
    )
    folder = make_project(tmp_path, lines, kind="tagging", items_name="items.jsonl")
    assert problem_lines(folder) == [
        "items.jsonl:2: not valid JSON (Expecting property name enclosed in double quotes,"
        " column 2)",
        "items.jsonl:3: must be a JSON object ({...}), not a list",
        'items.jsonl:4: unknown key "note" (expected: id, text, image, text_b, image_b,'
        " suggestion, gold, explanation_ar, explanation_fa_AF, explanation_uk, explanation_en,"
        " language, priority, deadline)",
        'items.jsonl:4: "gold" must be text or a list of ids, not a mapping',
        'items.jsonl:5: "explanation" must be an object like {"en": "...", ...}',
        'items.jsonl:5: "text" must be text, not a list',
        'items.jsonl:5: the item needs "text" or "image"',
        'items.jsonl:6: unknown "explanation" language "de" (expected: ar, fa_AF, uk, en)',
    ]


# -- the command ------------------------------------------------------------------------------


def test_cli_import(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    good = make_project(tmp_path / "good", GOOD_CSV)
    broken = make_project(tmp_path / "broken", BROKEN_CSV, project_id="broken")
    (broken / "images" / "corrupt.png").write_bytes(b"nothing")

    assert main(["tasks", "import", str(good), str(broken)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "broken/broken/items.csv:3: missing id"
    assert out[-1] == "12 problems; nothing imported."
    assert not any("good" in line for line in out)

    assert main(["tasks", "import", str(good)]) == 0
    assert capsys.readouterr().out.startswith(
        "digits: project created, 3 items added, 0 already there, 2 images added; images "
    )
    assert main(["tasks", "import", str(good)]) == 0
    assert capsys.readouterr().out.startswith(
        "digits: project updated, 0 items added, 3 already there, 0 images added"
    )
    (good / "items.csv").write_text(GOOD_CSV.replace(",5,ar", ",6,ar"), encoding="utf-8")
    assert main(["tasks", "import", str(good)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        'good/digits/items.csv:3: item "d2" is already in project "digits" with a different'
        " priority (an imported item does not change; give it a new id)",
        "1 problem; nothing imported.",
    ]
