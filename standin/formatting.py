"""Telegram's parse modes: turn formatted text into plain text plus entities.

Lengths and offsets are in UTF-16 code units, as Telegram counts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from standin.errors import ApiError, bad_request

Entity = dict[str, Any]

HTML_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Formatted:
    text: str
    entities: list[Entity]


def _entity_error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


class _HtmlToEntities(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.position = 0
        self.stack: list[tuple[str, Entity | None]] = []
        self.entities: list[Entity] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.position += utf16_len(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind = HTML_TAGS.get(tag)
        if kind is None:
            raise _entity_error(f'Unsupported start tag "{tag}"')
        attributes = dict(attrs)
        entity: Entity | None = {"type": kind, "offset": self.position}
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            raise _entity_error('Tag "span" must have class "tg-spoiler"')
        if tag == "a":
            href = attributes.get("href")
            if not href:
                entity = None
            else:
                entity["url"] = href
        elif tag == "tg-emoji":
            entity["custom_emoji_id"] = attributes.get("emoji-id") or ""
        elif tag == "blockquote" and "expandable" in attributes:
            entity["type"] = "expandable_blockquote"
        elif tag == "code" and self.stack and self.stack[-1][0] == "pre":
            language = (attributes.get("class") or "").removeprefix("language-")
            pre_entity = self.stack[-1][1]
            if language and pre_entity is not None:
                pre_entity["language"] = language
            entity = None
        self.stack.append((tag, entity))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise _entity_error(f'Unsupported start tag "{tag}"')

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            raise _entity_error(f'Unexpected end tag "{tag}"')
        open_tag, entity = self.stack.pop()
        if open_tag != tag:
            raise _entity_error(f'Unmatched end tag, expected "</{open_tag}>", found "</{tag}>"')
        if entity is not None:
            entity["length"] = self.position - entity["offset"]
            if entity["length"] > 0:
                self.entities.append(entity)


def parse_html(text: str) -> Formatted:
    parser = _HtmlToEntities()
    parser.feed(text)
    parser.close()
    if parser.stack:
        raise _entity_error(
            f'Can\'t find end tag corresponding to start tag "{parser.stack[-1][0]}"'
        )
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return Formatted("".join(parser.parts), entities)


MARKDOWN_V2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_V2_MARKERS: list[tuple[str, str]] = [
    ("||", "spoiler"),
    ("__", "underline"),
    ("*", "bold"),
    ("_", "italic"),
    ("~", "strikethrough"),
]


def parse_markdown_v2(text: str) -> Formatted:
    parts: list[str] = []
    position = 0
    entities: list[Entity] = []
    open_marks: list[tuple[str, Entity]] = []
    i = 0

    def emit(chunk: str) -> None:
        nonlocal position
        parts.append(chunk)
        position += utf16_len(chunk)

    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            emit(text[i + 1])
            i += 2
            continue
        if text.startswith("```", i):
            end = text.find("```", i + 3)
            if end < 0:
                raise _entity_error("Can't find end of Pre entity")
            body = text[i + 3 : end]
            language, newline, code = body.partition("\n")
            if not newline:
                language, code = "", body
            entity: Entity = {"type": "pre", "offset": position}
            if language:
                entity["language"] = language
            emit(code.replace("\\`", "`").replace("\\\\", "\\"))
            entity["length"] = position - entity["offset"]
            entities.append(entity)
            i = end + 3
            continue
        if char == "`":
            end = text.find("`", i + 1)
            if end < 0:
                raise _entity_error("Can't find end of Code entity")
            entity = {"type": "code", "offset": position}
            emit(text[i + 1 : end].replace("\\`", "`").replace("\\\\", "\\"))
            entity["length"] = position - entity["offset"]
            entities.append(entity)
            i = end + 1
            continue
        if char == "[":
            open_marks.append(("[", {"type": "text_link", "offset": position}))
            i += 1
            continue
        if char == "]" and open_marks and open_marks[-1][0] == "[":
            _, entity = open_marks.pop()
            if not text.startswith("(", i + 1):
                raise _entity_error("Can't find end of a URL")
            end = text.find(")", i + 2)
            if end < 0:
                raise _entity_error("Can't find end of a URL")
            entity["url"] = text[i + 2 : end].replace("\\)", ")")
            entity["length"] = position - entity["offset"]
            entities.append(entity)
            i = end + 1
            continue
        for marker, kind in _V2_MARKERS:
            if text.startswith(marker, i):
                if open_marks and open_marks[-1][0] == marker:
                    _, entity = open_marks.pop()
                    entity["length"] = position - entity["offset"]
                    if entity["length"] > 0:
                        entities.append(entity)
                else:
                    open_marks.append((marker, {"type": kind, "offset": position}))
                i += len(marker)
                break
        else:
            if char in MARKDOWN_V2_RESERVED and not (char == ">" and _at_line_start(text, i)):
                raise _entity_error(
                    f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
                )
            if char == ">" and _at_line_start(text, i):
                i += 1
                continue
            emit(char)
            i += 1
    if open_marks:
        kind = open_marks[-1][1]["type"]
        raise _entity_error(f"Can't find end of {kind} entity")
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return Formatted("".join(parts), entities)


def _at_line_start(text: str, index: int) -> bool:
    return index == 0 or text[index - 1] == "\n"


def parse_markdown_legacy(text: str) -> Formatted:
    parts: list[str] = []
    entities: list[Entity] = []
    position = 0
    i = 0
    markers = {"*": "bold", "_": "italic", "`": "code"}
    while i < len(text):
        char = text[i]
        if char in markers:
            end = text.find(char, i + 1)
            if end < 0:
                raise _entity_error(f"Can't find end of the entity starting at offset {i}")
            chunk = text[i + 1 : end]
            entities.append({"type": markers[char], "offset": position, "length": utf16_len(chunk)})
            parts.append(chunk)
            position += utf16_len(chunk)
            i = end + 1
            continue
        parts.append(char)
        position += utf16_len(char)
        i += 1
    return Formatted("".join(parts), [e for e in entities if e["length"] > 0])


def format_text(text: str, parse_mode: str | None, entities: Any = None) -> Formatted:
    """Apply a parse_mode (HTML, MarkdownV2, Markdown) or explicit entities."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown_legacy(text)
    if mode:
        raise bad_request(f"unsupported parse_mode {parse_mode!r}")
    if isinstance(entities, list):
        return Formatted(text, [e for e in entities if isinstance(e, dict)])
    return Formatted(text, [])
