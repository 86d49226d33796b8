"""Hand-written YAML files read into pydantic models, every problem named by file and line.

``read_yaml`` parses a file keeping ruamel.yaml's line marks; ``validate`` checks the parsed data
against a model and turns each pydantic error into a ``Problem`` at the line of the node at the
error's location (or of the nearest parent that is there). Validators raise ``fail(message)``,
where ``{about}`` in the message stands for the described location (see ``Names``), or
``fail_at`` to report several located problems at once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError
from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

M = TypeVar("M", bound=BaseModel)
Loc = tuple[int | str, ...]
# How to name a location for people: a pattern of keys ("*": any key or list index) -> a text
# whose {0}, {1}... are the keys at the "*"s (an item with an "id" is named by it). The longest
# pattern matching the start of a location names it.
Names = Mapping[tuple[str, ...], str]

_CUSTOM = "yaml_file"
_MISSING: Any = object()


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a file: the file, the 1-based line (None: the whole file)."""

    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = display_path(self.path)
        if self.line is None:
            return f"{where}: {self.message}"
        return f"{where}:{self.line}: {self.message}"


def display_path(path: Path) -> str:
    """The path relative to the current directory when it is under it, else as given."""
    try:
        return str(Path(path).absolute().relative_to(Path.cwd()))
    except (ValueError, OSError):  # not under the current directory, or no current directory
        return os.fspath(path)


def show(value: object) -> str:
    """A value as a problem message quotes it."""
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    text = f'"{value}"' if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def utf16_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


# ---------------------------------------------------------------------------------------------
# Reading


def read_yaml(path: Path, problems: list[Problem], missing: str | None = None) -> Any:
    """The document as round-trip nodes with line marks; None after reporting a problem."""
    name = path.name
    if not path.is_file():
        problems.append(Problem(path, None, missing or f"{name} is missing"))
        return None
    try:
        data = YAML(typ="rt").load(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        problems.append(Problem(path, None, f"{name} is not UTF-8 text ({error.reason})"))
    except OSError as error:
        problems.append(Problem(path, None, f"cannot read {name}: {error.strerror or error}"))
    except DuplicateKeyError as error:
        found = re.search(r'duplicate key "(.*?)"', str(error.problem or ""))
        key = found.group(1) if found else "?"
        problems.append(Problem(path, _mark_line(error), f'duplicate key "{key}"'))
    except MarkedYAMLError as error:
        detail = error.problem or "invalid YAML"
        if error.context:
            detail = f"{detail} ({error.context})"
        problems.append(Problem(path, _mark_line(error), f"YAML syntax error: {detail}"))
    except YAMLError as error:
        problems.append(Problem(path, None, f"YAML error: {error}"))
    else:
        if data is not None:
            return data
        problems.append(Problem(path, None, f"{name} is empty"))
    return None


def _mark_line(error: MarkedYAMLError) -> int | None:
    mark = error.problem_mark or error.context_mark
    return None if mark is None else int(mark.line) + 1


def _child(node: Any, part: int | str) -> tuple[Any, int | None]:
    """The node under ``part`` and its 1-based line; (_MISSING, None) when it is not there."""
    lc = getattr(node, "lc", None)
    try:
        if isinstance(node, Mapping):
            key = next((k for k in node if k == part or str(k) == str(part)), _MISSING)
            if key is not _MISSING:
                return node[key], None if lc is None else int(lc.key(key)[0]) + 1
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            return node[part], None if lc is None else int(lc.item(part)[0]) + 1
    except (KeyError, IndexError, TypeError):  # a node without marks (merged from an anchor)
        pass
    return _MISSING, None


def line_of(root: Any, loc: Loc) -> int | None:
    """The line of the node at ``loc``, or of the nearest parent that is there."""
    lc = getattr(root, "lc", None)
    line = None if lc is None or lc.line is None else int(lc.line) + 1
    node = root
    for part in loc:
        node, child_line = _child(node, part)
        if node is _MISSING:
            break
        line = child_line or line
    return line


# ---------------------------------------------------------------------------------------------
# Validating


def fail(message: str) -> PydanticCustomError:
    """An error to raise in a validator; ``{about}`` in the message names the location."""
    return PydanticCustomError(_CUSTOM, "{message}", {"message": message})


def fail_at(errors: Iterable[tuple[Loc, str]]) -> ValidationError:
    """Several errors at locations under the one being validated (raise it in a validator)."""
    details = [InitErrorDetails(type=fail(message), loc=loc, input=None) for loc, message in errors]
    return ValidationError.from_exception_data("problems", details)


class Strict(BaseModel):
    """A file's model: unknown keys are problems; the result is frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def unique(what: str, empty: str | None = None) -> AfterValidator:
    """No two items with the same id (and, with ``empty``, at least one item)."""

    def check(items: list[Any]) -> list[Any]:
        if empty is not None and not items:
            raise fail(empty)
        seen: set[str] = set()
        duplicates = []
        for index, item in enumerate(items):
            ident = item if isinstance(item, str) else item.id
            if ident in seen:
                loc = (index,) if isinstance(item, str) else (index, "id")
                duplicates.append((loc, f'duplicate {what} "{ident}"'))
            seen.add(ident)
        if duplicates:
            raise fail_at(duplicates)
        return items

    return AfterValidator(check)


def identifier(
    pattern: re.Pattern[str], rule: str, max_chars: int | None = None
) -> Callable[[object], str]:
    """A check for an id matching ``pattern`` (a number is taken as its digits: "1:" in YAML)."""

    def check(value: object) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if (
            isinstance(value, str)
            and pattern.fullmatch(value)
            and (max_chars is None or len(value) <= max_chars)
        ):
            return value
        raise fail(f"{{about}} is not a valid id: {show(value)} ({rule})")

    return check


def text(limit: int | None = None, what: str = "", utf16: bool = False) -> Any:
    """A non-empty text (a number is taken as its digits), right-stripped, at most ``limit``."""

    def check(value: object) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise fail("{about} is empty")
        if not isinstance(value, str):
            raise fail(f"{{about}} must be text, not {show(value)} (quote it)")
        result = str(value).rstrip()
        length = utf16_length(result) if utf16 else len(result)
        if limit is not None and length > limit:
            raise fail(f"{{about}} is {length} characters; {what} is at most {limit}")
        return result

    return Annotated[str, BeforeValidator(check)]


def validate(
    model: type[M],
    data: Any,
    path: Path,
    problems: list[Problem],
    names: Names | None = None,
    context: Mapping[str, Any] | None = None,
) -> M | None:
    """``data`` as ``model``; None after adding a problem for each error to ``problems``."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as error:
        for item in error.errors(include_url=False):
            loc = tuple(part for part in item["loc"] if part != "[key]")
            message = _message(item, loc, model, data, names or {}, path.name)
            problems.append(Problem(path, line_of(data, loc), message))
        return None


_MUST_BE = {
    "model_type": "a mapping (key: value lines)",
    "dict_type": "a mapping (key: value lines)",
    "list_type": "a list",
    "tuple_type": "a list",
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
}


def _message(
    error: Any, loc: Loc, model: type[BaseModel], data: Any, names: Names, file: str
) -> str:
    kind = error["type"]
    about, named = describe(loc, data, names, file)
    if kind == _CUSTOM:
        return str(error["ctx"]["message"]).replace("{about}", about)
    if kind in {"missing", "extra_forbidden"}:
        parent, _ = describe(loc[:-1], data, names, file)
        where = f" in {parent}" if loc[:-1] else ""
        if kind == "missing":
            return f"{about} is missing" if named else f'missing key "{loc[-1]}"{where}'
        keys = _keys_at(model, loc[:-1])
        expected = f" (expected: {', '.join(keys)})" if keys else ""
        return (
            f"unknown {about}{expected}" if named else f'unknown key "{loc[-1]}"{where}{expected}'
        )
    if kind in _MUST_BE:
        return f"{about} must be {_MUST_BE[kind]}, not {show(error['input'])}"
    return f"{about}: {error['msg']}"


def describe(loc: Loc, data: Any, names: Names, file: str) -> tuple[str, bool]:
    """A location in words, and whether ``names`` names the thing itself (not a key in it)."""
    if not loc:
        return file, False
    best: tuple[str, ...] = ()
    for pattern in names:
        fits = all(p == "*" or p == part for p, part in zip(pattern, loc, strict=False))
        if len(best) < len(pattern) <= len(loc) and fits:
            best = pattern
    if not best:
        return f'"{loc[-1]}"', False
    keys, node = [], data
    for index, (pattern_part, part) in enumerate(zip(best, loc, strict=False)):
        child, _ = _child(node, part)
        if pattern_part == "*":
            keys.append(_key_words(node, child, part, loc[index + 1 : index + 2] == ("id",)))
        node = child
    phrase = names[best].format(*keys)
    if len(best) == len(loc):
        return phrase, best[-1] == "*"
    return f'"{loc[-1]}" in {phrase}', False


def _key_words(container: Any, item: Any, part: int | str, at_id: bool) -> str:
    if isinstance(container, list) and isinstance(part, int):
        item_id = item.get("id") if isinstance(item, Mapping) and not at_id else None
        if isinstance(item_id, str | int) and not isinstance(item_id, bool):
            return f'"{item_id}"'
        return str(part + 1)
    return f'"{part}"' if isinstance(part, str) else str(part)


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        else:
            return annotation


def _keys_at(annotation: Any, loc: Loc) -> list[str]:
    """The keys the model expects at ``loc`` (empty when it is not a model there)."""
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields = annotation.model_fields
            field = next((f for n, f in fields.items() if (f.alias or n) == part), None)
            if field is None:
                return []
            annotation = field.annotation
        else:
            args = [a for a in get_args(annotation) if a is not Ellipsis]
            if not args:
                return []
            annotation = args[-1]  # the items of a list, a tuple[X, ...] or a dict
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [field.alias or name for name, field in annotation.model_fields.items()]
    return []
