"""The glossary in docs/glossary.md is used: no rejected variant in a language's own texts.

The rules are the fenced ``glossary-rejects`` block of docs/glossary.md. A rule applies only to
its language's text: the msgstr of that language's catalog, the course file ``<lang>.yaml``,
the fields of a project.yaml keyed by the language, and in an items file the explanation in that
language. The items' own texts are data (a customer's message, a support reply) and may use any
word, so they are not checked.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "docs" / "glossary.md"
LANGUAGES = ("ar", "fa_AF", "uk")

# Harakat, superscript alef, Quranic marks and tatweel: spelling the glossary does not compare.
_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_TO_ARABIC = str.maketrans({"ک": "ك", "ی": "ي"})
_TO_PERSIAN = str.maketrans({"ك": "ک", "ي": "ی"})
# A word boundary: no letter (apostrophes belong to Ukrainian words) on that side. ZWNJ,
# spaces and punctuation separate words.
_NO_LETTER_BEFORE = r"(?<![^\W\d_'’ʼ])"
_NO_LETTER_AFTER = r"(?![^\W\d_'’ʼ])"
# Clitics: Arabic conjunctions, prepositions and the article before a word, pronoun and plural
# endings after it; Dari plural, ezafe/indefinite and pronoun endings.
_AFFIXES = {
    "ar": (
        r"(?:[وف])?(?:[بك]?ال|لل|[بكل])?",
        r"(?:هما|كما|ها|هم|هن|كم|كن|نا|ني|ات|ان|ين|ون|ه|ك|ي|ة|ا)?",
    ),
    "fa_AF": ("", r"(?:هایی|های|ها|یی|ای|تان|شان|مان|ات|ان|ی|ش|ت|م)?"),
    "uk": ("", ""),
}


def normalise(text: str, language: str) -> str:
    """The text as the rules see it; line breaks are kept, so line numbers still count."""
    text = unicodedata.normalize("NFC", text)
    if language == "ar":
        return _MARKS.sub("", text).translate(_TO_ARABIC)
    if language == "fa_AF":
        return _MARKS.sub("", text).translate(_TO_PERSIAN)
    return text


@dataclass(frozen=True)
class Rule:
    language: str
    pattern: str
    instead: str
    regex: re.Pattern[str]


def compile_rule(language: str, pattern: str, instead: str) -> Rule:
    """One rule of the block: the pattern as whole words with the language's clitics."""
    before, after = _AFFIXES[language]
    body = normalise(pattern, language).replace(" ", r"\s+")
    regex = re.compile(
        f"{_NO_LETTER_BEFORE}{before}(?:{body}){after}{_NO_LETTER_AFTER}", re.IGNORECASE
    )
    return Rule(language, pattern, instead, regex)


def load_rules(path: Path = GLOSSARY) -> list[Rule]:
    """The rules of the ``glossary-rejects`` block."""
    block = re.search(r"^```glossary-rejects\n(.*?)^```", path.read_text("utf-8"), re.S | re.M)
    assert block, f"{path}: no ```glossary-rejects block"
    rules = []
    for number, line in enumerate(block.group(1).splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [part.strip() for part in line.split(" | ")]
        assert len(parts) == 3 and parts[0] in LANGUAGES, f"rule {number}: {line!r}"
        rules.append(compile_rule(*parts))
    return rules


@dataclass(frozen=True)
class Text:
    """A piece of one language's text; line(offset) gives the file line of a character."""

    path: Path
    language: str
    text: str
    first_line: int
    breaks_are_lines: bool = True
    segments: tuple[tuple[int, int], ...] = ()  # (offset, line) where a .po line starts

    def line(self, offset: int) -> int:
        if self.segments:
            return max(line for start, line in self.segments if start <= offset)
        if not self.breaks_are_lines:
            return self.first_line
        return self.first_line + self.text.count("\n", 0, offset)


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    found: str
    instead: str

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}: «{self.found}» -> {self.instead}"


def find(texts: list[Text], rules: list[Rule]) -> list[Finding]:
    findings = []
    for piece in texts:
        normal = normalise(piece.text, piece.language)
        for rule in rules:
            if rule.language != piece.language:
                continue
            for match in rule.regex.finditer(normal):
                found = " ".join(match.group().split())
                findings.append(Finding(piece.path, piece.line(match.start()), found, rule.instead))
    return sorted(set(findings), key=lambda f: (str(f.path), f.line, f.found))


# --------------------------------------------------------------------------- the texts


def _po_string(line: str) -> str:
    return json.loads(line[line.index('"') :])


def catalog_texts(path: Path, language: str) -> list[Text]:
    """Every msgstr of a .po file (the header excepted), with the line of each of its pieces."""
    texts: list[Text] = []
    msgid: list[str] = []
    pieces: list[tuple[int, str]] = []
    where = ""

    def close() -> None:
        if pieces and "".join(msgid):
            text, segments = "", []
            for number, piece in pieces:
                segments.append((len(text), number))
                text += piece
            texts.append(Text(path, language, text, pieces[0][0], segments=tuple(segments)))
        pieces.clear()

    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if line.startswith("msgid "):
            close()
            msgid, where = [_po_string(line)], "id"
        elif line.startswith("msgid_plural"):
            where = "plural"
        elif line.startswith("msgstr"):
            close()
            pieces.append((number, _po_string(line)))
            where = "str"
        elif line.startswith('"'):
            if where == "str":
                pieces.append((number, _po_string(line)))
            elif where == "id":
                msgid.append(_po_string(line))
        else:
            close()
            where = ""
    close()
    return texts


def _yaml_texts(node: object, language: str | None, path: Path) -> Iterator[Text]:
    if isinstance(node, CommentedMap):
        entries = [(key, node.lc.value(key)[0]) for key in node]
        children = [(node[key], line, key) for key, line in entries]
    elif isinstance(node, CommentedSeq):
        children = [(item, node.lc.item(i)[0], None) for i, item in enumerate(node)]
    else:
        return
    for value, line, key in children:
        lang = key if key in LANGUAGES or key == "en" else language
        if isinstance(value, str):
            if lang in LANGUAGES:
                block = isinstance(value, LiteralScalarString | FoldedScalarString)
                first = line + 1 + int(block)
                folded = isinstance(value, FoldedScalarString) or not block
                yield Text(path, lang, str(value), first, breaks_are_lines=not folded)
        else:
            yield from _yaml_texts(value, lang, path)


def yaml_texts(path: Path, language: str | None = None) -> list[Text]:
    """The string values of a YAML file in LANGUAGES: under a locale key, or all of them when
    the file itself is in ``language``."""
    return list(_yaml_texts(YAML().load(path.read_text("utf-8")), language, path))


def items_texts(path: Path, fields: tuple[str, ...] = ()) -> list[Text]:
    """The explanations of an items file (CSV or JSONL) in LANGUAGES, and the ``fields`` (e.g.
    "text") of items in those languages."""
    texts = []
    if path.suffix == ".jsonl":
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            item = json.loads(line)
            for field in fields:
                if item.get("language") in LANGUAGES and item.get(field):
                    texts.append(Text(path, item["language"], item[field], number))
            for language, text in (item.get("explanation") or {}).items():
                if language in LANGUAGES and text:
                    texts.append(Text(path, language, text, number))
        return texts
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        start = reader.line_num + 1
        for row in reader:
            line = start
            cells = dict(zip(header, row, strict=False))
            for column, cell in zip(header, row, strict=False):
                language = None
                if column in fields:
                    language = cells.get("language")
                elif column.startswith("explanation_"):
                    language = column.removeprefix("explanation_")
                if language in LANGUAGES and cell:
                    texts.append(Text(path, language, cell, line))
                line += cell.count("\n")
            start = reader.line_num + 1
    return texts


def catalog_findings(language: str, rules: list[Rule]) -> list[Finding]:
    texts = []
    for path in sorted((ROOT / "locales" / language / "LC_MESSAGES").glob("*.po")):
        texts += catalog_texts(path, language)
    return find(texts, rules)


def content_findings(language: str, rules: list[Rule]) -> list[Finding]:
    texts = []
    for path in sorted((ROOT / "courses" / "content").glob(f"*/{language}.yaml")):
        texts += yaml_texts(path, language)
    for path in sorted((ROOT / "tasks" / "projects").glob("*/project.yaml")):
        texts += [text for text in yaml_texts(path) if text.language == language]
        spec = YAML().load(path.read_text("utf-8")) or {}
        items = path.parent / str(spec.get("items", "items.csv"))
        if items.is_file():
            texts += [text for text in items_texts(items) if text.language == language]
    return find(texts, rules)


# --------------------------------------------------------------------------- the tests

RULES = load_rules()


def _flagged(language: str, text: str) -> list[str]:
    piece = Text(Path(ROOT / "x"), language, text, 1)
    return [finding.found for finding in find([piece], RULES)]


def test_every_language_has_rules_and_no_chosen_word_is_rejected() -> None:
    assert {rule.language for rule in RULES} == set(LANGUAGES)
    for rule in RULES:
        assert not _flagged(rule.language, rule.instead), f"{rule.pattern}: {rule.instead}"


@pytest.mark.parametrize(
    ("language", "text", "flagged"),
    [
        ("fa_AF", "برچسب‌ها را ببینید", ["برچسب"]),
        ("fa_AF", "برچسبها و برچسپ‌ها", ["برچسبها"]),
        ("fa_AF", "کدام برچسپ؟ کود دعوت", []),
        ("fa_AF", "کد دعوت و مؤسسهٔ همکار", ["کد"]),
        ("fa_AF", "موسسهٔ همکار", ["موسسه"]),
        ("fa_AF", "آی\u200cدی تلگرام", []),
        ("fa_AF", "آیدی تلگرام", ["آیدی"]),
        ("ar", "أعِد الامتحانَ أو الاختبار", ["الامتحان"]),
        ("ar", "للامتحانات", ["للامتحانات"]),
        ("ar", "ما زلت مترددًا", ["مترددا"]),
        ("ar", "ليس تمامًا", ["ليس تماما"]),
        ("ar", "إعادة الاختبار واختيار اللغة", []),
        ("uk", "Оплату за\n   навчання нараховано", ["Оплату за навчання"]),
        ("uk", "проєкт, проектор і проекту", ["проекту"]),
        ("uk", "успішно завершив(-ла) курс", ["завершив(-ла)"]),
        ("uk", "винагорода за практику в загальній черзі", []),
    ],
)
def test_rejected_variants_are_found_as_whole_words(
    language: str, text: str, flagged: list[str]
) -> None:
    assert _flagged(language, text) == flagged


def test_findings_name_the_line_in_a_wrapped_po_string(tmp_path: Path) -> None:
    po = tmp_path / "messages.po"
    po.write_text(
        'msgid ""\nmsgstr "Language: fa_AF\\n"\n\nmsgid "A"\nmsgstr ""\n"یک گروپ "\n"و یک گروه"\n',
        encoding="utf-8",
    )
    found = find(catalog_texts(po, "fa_AF"), RULES)
    assert [(finding.line, finding.found) for finding in found] == [(7, "گروه")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogs_use_the_glossary(language: str) -> None:
    findings = catalog_findings(language, RULES)
    assert not findings, "rejected by docs/glossary.md:\n" + "\n".join(map(str, findings))


@pytest.mark.parametrize("language", LANGUAGES)
def test_courses_and_projects_use_the_glossary(language: str) -> None:
    findings = content_findings(language, RULES)
    assert not findings, "rejected by docs/glossary.md:\n" + "\n".join(map(str, findings))
