"""Importing a project folder: project.yaml, an items file (CSV or JSONL) and images.

`plan_import(folder)` validates everything and prepares every image before anything is
written; it raises `ImportProblems` listing each problem as ``file:row: reason``.
`apply_import(session, plan, now)` writes the project, its images and its items (the caller
commits). Re-importing the same folder adds only the items that are new; an item whose id is
already in the project with different content is a problem (`check_against_database`).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.images import ImageError, image_digest, prepare_image
from core.locales import CATALOG_LOCALES
from core.yaml_files import Problem, show
from tasks.models import ProjectState, WorkImage, WorkItem, WorkProject
from tasks.spec import ProjectSpec, SpecError, read_spec, spec_line

SPEC_FILE = "project.yaml"
EXPLANATION_COLUMNS = tuple(f"explanation_{locale}" for locale in CATALOG_LOCALES)
COLUMNS = (
    "id",
    "text",
    "image",
    "text_b",
    "image_b",
    "suggestion",
    "gold",
    *EXPLANATION_COLUMNS,
    "language",
    "priority",
    "deadline",
)
ONLY_FOR = {"text_b": "comparison", "image_b": "comparison", "suggestion": "verification"}
NONE_APPLY = "-"  # a tagging gold saying no label applies
MAX_ID_CHARS = 128
MAX_TEXT_CHARS = 3000
MAX_EXPLANATION_CHARS = 500
MAX_PRIORITY = 1_000_000
MAX_IMAGE_FILE_BYTES = 20 * 1024 * 1024
BATCH = 500

Progress = Callable[[int, int], None]


class ImportProblems(ValueError):
    """Everything wrong with a project folder; ``str()`` is one ``file:row: reason`` a line."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class PlannedImage:
    digest: str  # sha256 of the prepared bytes
    data: bytes
    width: int
    height: int
    source_bytes: int


@dataclass(frozen=True)
class PlannedItem:
    row: int
    external_id: str
    content: dict[str, Any]
    image: str | None  # digest of a PlannedImage
    image_b: str | None
    language: str | None
    gold: tuple[str, ...] | None  # None: not a gold item
    priority: int
    deadline: datetime | None


@dataclass(frozen=True)
class ImportPlan:
    folder: Path
    spec: ProjectSpec
    spec_path: Path
    items_path: Path
    items: tuple[PlannedItem, ...]
    images: Mapping[str, PlannedImage]  # by digest
    source_bytes: int  # the distinct image files, as they are
    prepared_bytes: int  # the distinct images after the pipeline
    lines: Mapping[str, int | None] = field(default_factory=dict)  # project.yaml key -> line


@dataclass(frozen=True)
class ImportSummary:
    project_id: str
    project_created: bool
    items_added: int
    items_present: int
    images_added: int
    source_bytes: int
    prepared_bytes: int


# ---------------------------------------------------------------------------------------------
# Reading the folder


@dataclass
class _Draft:
    """A row that passed its own checks; image paths still to prepare."""

    row: int
    external_id: str
    content: dict[str, Any]
    image: Path | None
    image_b: Path | None
    language: str | None
    gold: tuple[str, ...] | None
    priority: int
    deadline: datetime | None


def plan_import(folder: Path, progress: Progress | None = None) -> ImportPlan:
    """Validate the folder and prepare its images; raises ImportProblems, writes nothing."""
    folder = Path(folder)
    spec_path = folder / SPEC_FILE
    try:
        spec, data = read_spec(spec_path)
    except SpecError as error:
        raise ImportProblems(error.problems) from None
    items_path = folder / spec.items
    problems: list[Problem] = []
    rows = _read_rows(items_path, problems)
    drafts: list[_Draft] = []
    first_row: dict[str, int] = {}
    uses: dict[Path, list[tuple[int, str]]] = {}  # image file -> the rows naming it
    for row, values, extra in rows:
        messages: list[str] = list(extra)
        if values is None:
            problems.extend(Problem(items_path, row, message) for message in messages)
            continue
        draft = _draft(spec, folder, row, values, messages)
        external_id = _string(values, "id", [])
        if external_id is not None:
            seen = first_row.setdefault(external_id, row)
            if seen != row:
                messages.append(f'duplicate id "{external_id}" (first on row {seen})')
        for key in ("image", "image_b"):
            name = _string(values, key, [])
            path = _image_path(folder, name, key, [])
            if name is not None and path is not None:
                uses.setdefault(path, []).append((row, name))
        problems.extend(Problem(items_path, row, message) for message in messages)
        if draft is not None and not messages:
            drafts.append(draft)
    if not rows and not problems:
        problems.append(Problem(items_path, None, f"{items_path.name} has no items"))
    prepared = _prepare_images(uses, items_path, problems, progress)
    if problems:
        raise ImportProblems(sorted(problems, key=lambda problem: problem.line or 0))
    images: dict[str, PlannedImage] = {}
    by_path: dict[Path, str] = {}
    for path, image in prepared.items():
        images.setdefault(image.digest, image)
        by_path[path] = image.digest
    sources = {path.resolve(): image.source_bytes for path, image in prepared.items()}
    items = tuple(
        PlannedItem(
            row=draft.row,
            external_id=draft.external_id,
            content=draft.content,
            image=by_path[draft.image] if draft.image else None,
            image_b=by_path[draft.image_b] if draft.image_b else None,
            language=draft.language,
            gold=draft.gold,
            priority=draft.priority,
            deadline=draft.deadline,
        )
        for draft in drafts
    )
    return ImportPlan(
        folder=folder,
        spec=spec,
        spec_path=spec_path,
        items_path=items_path,
        items=items,
        images=images,
        source_bytes=sum(sources.values()),
        prepared_bytes=sum(len(image.data) for image in images.values()),
        lines={key: spec_line(data, key) for key in ("id", "kind", "labels")},
    )


# row number, values (None: unreadable), problems found reading it
_Row = tuple[int, dict[str, Any] | None, list[str]]


def _read_rows(path: Path, problems: list[Problem]) -> list[_Row]:
    if not path.is_file():
        problems.append(Problem(path, None, f"the items file {path.name} is missing"))
        return []
    try:
        content = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problems.append(Problem(path, None, f"{path.name} is not UTF-8 text ({error.reason})"))
        return []
    except OSError as error:
        problems.append(Problem(path, None, f"cannot read {path.name}: {error.strerror}"))
        return []
    if path.suffix.lower() == ".jsonl":
        return list(_jsonl_rows(content))
    return _csv_rows(path, content, problems)


def _csv_rows(path: Path, content: str, problems: list[Problem]) -> list[_Row]:
    """Rows by number (the header is row 1); blank rows are skipped but counted."""
    records = iter(csv.reader(io.StringIO(content, newline="")))
    header = [name.strip() for name in next(records, [])]
    if not any(header):
        problems.append(Problem(path, 1, "the header row is missing (id, text, image, ...)"))
        return []
    header_problems = []
    for index, name in enumerate(header):
        if name in header[:index]:
            header_problems.append(f'column "{name}" appears twice')
        elif name not in COLUMNS:
            header_problems.append(
                f'unknown column "{name}" (expected: {", ".join(COLUMNS)})'
                if name
                else f"column {index + 1} has no name"
            )
    if "id" not in header:
        header_problems.append('the "id" column is missing')
    problems.extend(Problem(path, 1, message) for message in header_problems)
    if header_problems:
        return []
    rows: list[_Row] = []
    for number, cells in enumerate(records, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        extra = []
        if len(cells) > len(header):
            extra.append(f"the row has {len(cells)} cells; the header has {len(header)}")
        values = {name: cell for name, cell in zip(header, cells, strict=False) if cell.strip()}
        rows.append((number, values, extra))
    return rows


def _jsonl_rows(content: str) -> Iterator[_Row]:
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            yield number, None, [f"not valid JSON ({error.msg}, column {error.colno})"]
            continue
        if not isinstance(value, dict):
            yield number, None, [f"must be a JSON object ({{...}}), not {show(value)}"]
            continue
        extra = []
        explanation = value.pop("explanation", None)
        if explanation is not None:
            if not isinstance(explanation, dict):
                extra.append('"explanation" must be an object like {"en": "...", ...}')
            elif any(key in value for key in EXPLANATION_COLUMNS):
                extra.append('use "explanation" or "explanation_<locale>" keys, not both')
            else:
                for locale, text in explanation.items():
                    key = f"explanation_{locale}"
                    if key not in EXPLANATION_COLUMNS:
                        extra.append(
                            f'unknown "explanation" language "{locale}"'
                            f" (expected: {', '.join(CATALOG_LOCALES)})"
                        )
                    else:
                        value[key] = text
        for key in value:
            if key not in COLUMNS:
                extra.append(f'unknown key "{key}" (expected: {", ".join(COLUMNS)})')
        values = {k: v for k, v in value.items() if k in COLUMNS and v not in (None, "")}
        yield number, values, extra


def _string(values: Mapping[str, Any], key: str, messages: list[str]) -> str | None:
    """A cell as stripped text (a JSON number is taken as its digits); None when empty."""
    value = values.get(key)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        messages.append(f'"{key}" must be text, not {show(value)}')
        return None
    return value.strip() or None


def _draft(
    spec: ProjectSpec, folder: Path, row: int, values: dict[str, Any], messages: list[str]
) -> _Draft | None:
    for key in values:
        if key in ONLY_FOR and ONLY_FOR[key] != spec.kind:
            messages.append(f'"{key}" is only for {ONLY_FOR[key]} projects, not {spec.kind}')
    external_id = _string(values, "id", messages)
    if external_id is None:
        messages.append("missing id")
    elif len(external_id) > MAX_ID_CHARS:
        messages.append(f"the id is {len(external_id)} characters; at most {MAX_ID_CHARS}")
    content: dict[str, Any] = {}
    for key in ("text", "text_b"):
        text = _string(values, key, messages)
        if text is not None:
            if len(text) > MAX_TEXT_CHARS:
                messages.append(f'"{key}" is {len(text)} characters; at most {MAX_TEXT_CHARS}')
            content[key] = text
    image = _image_path(folder, _string(values, "image", messages), "image", messages)
    image_b = _image_path(folder, _string(values, "image_b", messages), "image_b", messages)
    if spec.kind == "comparison":
        if "text" not in content and "image" not in values:
            messages.append('a comparison item needs "text" or "image" (answer a)')
        if "text_b" not in content and "image_b" not in values:
            messages.append('a comparison item needs "text_b" or "image_b" (answer b)')
    elif "text" not in content and "image" not in values:
        messages.append('the item needs "text" or "image"')
    suggestion = _string(values, "suggestion", messages)
    if suggestion is not None:
        if suggestion not in spec.label_ids():
            messages.append(
                f'suggestion "{suggestion}" is not a label of the project'
                f" ({', '.join(spec.label_ids())})"
            )
        content["suggestion"] = suggestion
    elif spec.kind == "verification":
        messages.append('a verification item needs a "suggestion" (the label to check)')
    gold = _gold(spec, values.get("gold"), messages)
    explanation = {
        locale: text
        for locale in CATALOG_LOCALES
        if (text := _string(values, f"explanation_{locale}", messages)) is not None
    }
    if explanation:
        missing = [locale for locale in CATALOG_LOCALES if locale not in explanation]
        if missing:
            messages.append(
                f"the explanation is missing in {', '.join(missing)} (give all four or none)"
            )
        if values.get("gold") in (None, ""):
            messages.append("an explanation is for gold items (this one has no gold)")
        for locale, text in explanation.items():
            if len(text) > MAX_EXPLANATION_CHARS:
                messages.append(
                    f'"explanation_{locale}" is {len(text)} characters;'
                    f" at most {MAX_EXPLANATION_CHARS}"
                )
        content["explanation"] = explanation
    language = _string(values, "language", messages)
    if language is not None and language not in CATALOG_LOCALES:
        messages.append(
            f'language "{language}" is not one of {", ".join(CATALOG_LOCALES)}'
            " (leave it empty for anyone)"
        )
    priority = _priority(values.get("priority"), messages)
    deadline = _deadline(_string(values, "deadline", messages), messages)
    if messages or external_id is None:
        return None
    return _Draft(
        row=row,
        external_id=external_id,
        content=content,
        image=image,
        image_b=image_b,
        language=language,
        gold=gold,
        priority=priority,
        deadline=deadline,
    )


def _image_path(folder: Path, name: str | None, key: str, messages: list[str]) -> Path | None:
    if name is None:
        return None
    relative = Path(name.replace("\\", "/"))
    target = (folder / relative).resolve()
    if relative.is_absolute() or not target.is_relative_to(folder.resolve()):
        messages.append(f'{key} "{name}" must be a path inside the project folder')
        return None
    return target


def _gold(spec: ProjectSpec, value: Any, messages: list[str]) -> tuple[str, ...] | None:
    """The gold answer as answer ids; None when the item is not gold."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        text = value.strip()
        if spec.kind == "tagging" and text == NONE_APPLY:
            ids = []
        else:
            ids = [part.strip() for part in text.split("|")]
    elif isinstance(value, list) and all(isinstance(part, str | int) for part in value):
        ids = [str(part).strip() for part in value]
    else:
        messages.append(f'"gold" must be text or a list of ids, not {show(value)}')
        return None
    allowed = spec.gold_ids()
    if spec.kind != "tagging" and len(ids) != 1:
        messages.append(f"gold of a {spec.kind} item is one of {', '.join(allowed)}")
        return None
    wrong = [part for part in ids if part not in allowed]
    for part in wrong:
        if not part:
            messages.append(f'gold has an empty id (separate ids with "|"; "{NONE_APPLY}" = none)')
        elif spec.kind == "verification" and part == "unsure":
            messages.append('gold "unsure" cannot be checked: a gold answer is yes or no')
        else:
            what = "a label of the project" if spec.labels else "an answer"
            messages.append(f'gold "{part}" is not {what} ({", ".join(allowed)})')
    duplicates = sorted({part for part in ids if ids.count(part) > 1})
    if duplicates:
        messages.append(f"gold names {', '.join(duplicates)} twice")
    return None if wrong or duplicates else tuple(ids)


def _priority(value: Any, messages: list[str]) -> int:
    if value is None or value == "":
        return 0
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            number = None
    if number is None or abs(number) > MAX_PRIORITY:
        messages.append(
            f"priority must be a whole number from -{MAX_PRIORITY} to {MAX_PRIORITY},"
            f" not {show(value)}"
        )
        return 0
    return number


def _deadline(value: str | None, messages: list[str]) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        messages.append(
            f"deadline must be an ISO 8601 time with its zone (like 2025-07-01T18:00:00+03:00),"
            f" not {show(value)}"
        )
        return None
    return moment.astimezone(UTC)


def _prepare_images(
    uses: Mapping[Path, list[tuple[int, str]]],
    items_path: Path,
    problems: list[Problem],
    progress: Progress | None,
) -> dict[Path, PlannedImage]:
    """Every image named, through the pipeline; a problem for each row naming a bad one."""
    results: dict[Path, PlannedImage | str] = {}
    paths = list(uses)
    done = 0
    workers = min(8, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for path, result in zip(paths, pool.map(_prepare_one, paths), strict=True):
            results[path] = result
            done += 1
            if progress is not None:
                progress(done, len(paths))
    for path, result in results.items():
        if isinstance(result, str):
            for row, name in uses[path]:
                problems.append(Problem(items_path, row, f'image "{name}": {result}'))
    return {path: result for path, result in results.items() if isinstance(result, PlannedImage)}


def _prepare_one(path: Path) -> PlannedImage | str:
    """The prepared image, or what is wrong with the file."""
    if not path.is_file():
        return "the file is missing"
    size = path.stat().st_size
    if size > MAX_IMAGE_FILE_BYTES:
        limit = MAX_IMAGE_FILE_BYTES // 1024 // 1024
        return f"the file is {size / 1024 / 1024:.1f} MB; at most {limit} MB"
    try:
        prepared = prepare_image(path.read_bytes())
    except ImageError as error:
        return str(error)
    except OSError as error:
        return f"cannot read the file: {error.strerror or error}"
    return PlannedImage(
        digest=image_digest(prepared.data),
        data=prepared.data,
        width=prepared.width,
        height=prepared.height,
        source_bytes=size,
    )


# ---------------------------------------------------------------------------------------------
# Writing


@dataclass(frozen=True)
class _Stored:
    content: dict[str, Any]
    image: str | None
    image_b: str | None
    language: str | None
    gold: tuple[str, ...] | None
    priority: int
    deadline: datetime | None


def _differences(item: PlannedItem, stored: _Stored) -> list[str]:
    planned = _Stored(
        item.content,
        item.image,
        item.image_b,
        item.language,
        item.gold,
        item.priority,
        item.deadline,
    )
    names = {
        "content": "text, suggestion or explanation",
        "image": "image",
        "image_b": "image_b",
        "language": "language",
        "gold": "gold",
        "priority": "priority",
        "deadline": "deadline",
    }
    return [name for key, name in names.items() if getattr(planned, key) != getattr(stored, key)]


async def _stored_items(session: AsyncSession, plan: ImportPlan) -> dict[str, _Stored]:
    """The plan's items already in the project, by external id."""
    image, image_b = aliased(WorkImage), aliased(WorkImage)
    ids = [item.external_id for item in plan.items]
    found: dict[str, _Stored] = {}
    for start in range(0, len(ids), BATCH):
        rows = await session.execute(
            select(
                WorkItem.external_id,
                WorkItem.content,
                image.digest,
                image_b.digest,
                WorkItem.language,
                WorkItem.gold,
                WorkItem.is_gold,
                WorkItem.priority,
                WorkItem.deadline,
            )
            .outerjoin(image, image.id == WorkItem.image_id)
            .outerjoin(image_b, image_b.id == WorkItem.image_b_id)
            .where(
                WorkItem.project_id == plan.spec.id,
                WorkItem.external_id.in_(ids[start : start + BATCH]),
            )
        )
        for ext, content, digest, digest_b, language, gold, is_gold, priority, deadline in rows:
            found[ext] = _Stored(
                content,
                digest,
                digest_b,
                language,
                tuple(gold) if is_gold and gold is not None else None,
                priority,
                deadline,
            )
    return found


async def _compare(
    session: AsyncSession, plan: ImportPlan
) -> tuple[list[Problem], WorkProject | None, dict[str, _Stored]]:
    spec = plan.spec
    problems: list[Problem] = []
    project = await session.get(WorkProject, spec.id)
    if project is not None:
        if project.kind != spec.kind:
            problems.append(
                Problem(
                    plan.spec_path,
                    plan.lines.get("kind"),
                    f'project "{spec.id}" is already a {project.kind} project;'
                    " its kind cannot change (use a new id)",
                )
            )
        old_labels = [label["id"] for label in project.spec.get("labels") or ()]
        removed = [label for label in old_labels if label not in spec.label_ids()]
        if removed:
            problems.append(
                Problem(
                    plan.spec_path,
                    plan.lines.get("labels") or plan.lines.get("kind"),
                    f'project "{spec.id}" already has the labels'
                    f" {', '.join(removed)}, missing here (labels may be added, not removed)",
                )
            )
    stored = await _stored_items(session, plan) if project is not None else {}
    for item in plan.items:
        if item.external_id in stored:
            changed = _differences(item, stored[item.external_id])
            if changed:
                problems.append(
                    Problem(
                        plan.items_path,
                        item.row,
                        f'item "{item.external_id}" is already in project "{spec.id}"'
                        f" with a different {', '.join(changed)}"
                        " (an imported item does not change; give it a new id)",
                    )
                )
    return problems, project, stored


async def check_against_database(session: AsyncSession, plan: ImportPlan) -> list[Problem]:
    """What in the plan contradicts what is stored (kind, removed labels, changed items)."""
    problems, _, _ = await _compare(session, plan)
    return problems


async def apply_import(
    session: AsyncSession, plan: ImportPlan, now: datetime, progress: Progress | None = None
) -> ImportSummary:
    """Write the plan (the caller commits); raises ImportProblems, writing nothing, on conflict."""
    problems, project, stored = await _compare(session, plan)
    if problems:
        raise ImportProblems(problems)
    spec = plan.spec
    created = project is None
    if project is None:
        project = WorkProject(
            id=spec.id,
            kind=spec.kind,
            state=ProjectState.OPEN,
            spec=spec.as_json(),
            spec_digest=spec.digest(),
            reward_minor=spec.reward.amount_minor,
            currency=spec.reward.currency,
            created_at=now,
        )
        session.add(project)
    else:
        project.spec = spec.as_json()
        project.spec_digest = spec.digest()
        project.reward_minor = spec.reward.amount_minor
        project.currency = spec.reward.currency
    await session.flush()

    new_items = [item for item in plan.items if item.external_id not in stored]
    wanted = {d for item in new_items for d in (item.image, item.image_b) if d is not None}
    image_ids = await _image_ids(session, wanted)
    missing = [plan.images[digest] for digest in sorted(wanted - image_ids.keys())]
    for start in range(0, len(missing), 100):
        rows = [
            WorkImage(
                digest=image.digest,
                data=image.data,
                width=image.width,
                height=image.height,
                source_bytes=image.source_bytes,
            )
            for image in missing[start : start + 100]
        ]
        session.add_all(rows)
        await session.flush()
        image_ids.update({row.digest: row.id for row in rows if row.id is not None})

    for start in range(0, len(new_items), BATCH):
        batch = new_items[start : start + BATCH]
        await session.execute(
            insert(WorkItem),
            [
                {
                    "project_id": spec.id,
                    "external_id": item.external_id,
                    "content": item.content,
                    "image_id": image_ids[item.image] if item.image else None,
                    "image_b_id": image_ids[item.image_b] if item.image_b else None,
                    "language": item.language,
                    "is_gold": item.gold is not None,
                    "gold": list(item.gold) if item.gold is not None else None,
                    "priority": item.priority,
                    "queue_rank": -item.priority,
                    "deadline": item.deadline,
                    "needed": spec.overlap,
                    "answered": 0,
                    "leased": 0,
                    "state": "open",
                    "created_at": now,
                }
                for item in batch
            ],
        )
        if progress is not None:
            progress(start + len(batch), len(new_items))
    return ImportSummary(
        project_id=spec.id,
        project_created=created,
        items_added=len(new_items),
        items_present=len(plan.items) - len(new_items),
        images_added=len(missing),
        source_bytes=plan.source_bytes,
        prepared_bytes=plan.prepared_bytes,
    )


async def _image_ids(session: AsyncSession, digests: set[str]) -> dict[str, int]:
    wanted = sorted(digests)
    found: dict[str, int] = {}
    for start in range(0, len(wanted), BATCH):
        rows = await session.execute(
            select(WorkImage.digest, WorkImage.id).where(
                WorkImage.digest.in_(wanted[start : start + BATCH])
            )
        )
        found.update({digest: image_id for digest, image_id in rows.all()})
    return found


def describe_summary(summary: ImportSummary) -> str:
    """The summary in one line for people."""
    verb = "created" if summary.project_created else "updated"
    saved = (
        f"; images {_size(summary.source_bytes)} -> {_size(summary.prepared_bytes)}"
        if summary.source_bytes
        else ""
    )
    return (
        f"{summary.project_id}: project {verb}, {summary.items_added} items added,"
        f" {summary.items_present} already there, {summary.images_added} images added{saved}"
    )


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count / 1024 / 1024:.1f} MB"
