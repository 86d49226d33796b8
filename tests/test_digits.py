"""One digit system per language: no Western digit on an Arabic or Dari screen except in codes.

Every message of the ar and fa_AF catalogs is rendered with its placeholders filled the way the
handlers fill them (core.i18n's formatters), and so are a few screens built by handlers; a
Western digit may only appear inside a code (code(), an LTR isolate) or a command. Input is
accepted in any digit system. DIGITS=latin gives Western digits back.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from ruamel.yaml import YAML

from bot.catalogs import po_path
from bot.settings import load_settings
from core.bidi import LRI, PDI
from core.i18n import (
    code,
    digits_mode,
    embed,
    format_date,
    format_datetime,
    format_fraction,
    format_kilobytes,
    format_money,
    format_number,
    format_percent,
    format_signed_money,
    format_time,
    set_digits,
    use_locale,
)
from core.text_input import parse_number

RTL = ("ar", "fa_AF")
NATIVE = {"ar": "٠١٢٣٤٥٦٧٨٩", "fa_AF": "۰۱۲۳۴۵۶۷۸۹"}
COURSES = Path(__file__).resolve().parent.parent / "courses" / "content"
WESTERN = re.compile(r"[0-9]")
CODE_RUN = re.compile(f"{LRI}[^{PDI}]*{PDI}")
COMMAND = re.compile(r"(?<![\w/])/[a-z_]+\w*")

# How the handlers fill each placeholder. A new placeholder name must be added to one of these.
MONEY = {"amount", "earned", "floor", "hourly", "overall", "week"}
PERCENT = {"accuracy", "agreement", "mark", "minimum", "rate"}
NUMBER = {
    "answered", "answers", "completed", "count", "day", "done", "fast", "grace", "hour",
    "in_progress", "items", "max", "minutes", "most", "number", "open", "page", "pages",
    "paused", "position", "review", "score", "seconds", "started", "total",
    "days", "failed", "lease", "sent", "unreachable", "waiting", "paid", "n", "added",
    "present", "images",
}  # fmt: skip
DATE = {"date"}
TIME = {"time"}
HOUR = {"start", "end"}  # a time of day (Settings, quiet hours)
SIZE = {"size", "before", "after"}  # a number of kilobytes, formatted
# Latin by design: typed back, copied, looked up
CODE = {"code", "command", "user", "file", "method", "example", "period", "currency"}
TEXT = {
    "answer", "bands", "cohort", "course", "courses", "label", "language", "lesson", "name",
    "organisation", "project", "projects", "reports", "state", "summary",
    "audience", "country", "languages", "note", "people", "reason", "tags", "zone", "kinds",
}  # fmt: skip


def fill(name: str) -> str:
    """A placeholder's value as the handlers render it, with every digit 0-9 in play."""
    if name in MONEY:
        return format_money(123456789, "USD")
    if name in PERCENT:
        return embed(format_percent(0.6789))
    if name in NUMBER:
        return embed(1234567890)
    if name in DATE:
        return format_date(date(2026, 10, 29))
    if name in TIME:
        return format_datetime(datetime(2026, 10, 29, 18, 47, tzinfo=UTC), fmt="short")
    if name in SIZE:
        return format_kilobytes(123456789)
    if name in HOUR:
        return format_time(time(18, 47))
    if name in CODE:
        return code("RFQ-7K2M-9X04")
    assert name in TEXT, f"placeholder {{{name}}}: classify it in tests/test_digits.py"
    return "نص"


def western_digits(text: str) -> list[str]:
    """Western digits outside codes and commands, with some context."""
    text = COMMAND.sub("", CODE_RUN.sub("", text))
    return [text[max(0, m.start() - 15) : m.end() + 15] for m in WESTERN.finditer(text)]


def rendered(locale: str) -> Iterator[tuple[str, str]]:
    """(msgid, message as shown) for every translation in the locale's catalog."""
    with po_path(locale).open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    for message in catalog:
        if not message.id:
            continue
        targets = message.string if isinstance(message.string, tuple) else (message.string,)
        for target in targets:
            names = {n for _, n, _, _ in string.Formatter().parse(target) if n is not None}
            yield str(message.id), target.format(**{n: fill(n) for n in names})


@pytest.fixture(autouse=True)
def native_digits() -> Iterator[None]:
    previous = digits_mode()
    set_digits("native")
    yield
    set_digits(previous)


@pytest.mark.parametrize("locale", RTL)
def test_no_western_digit_in_any_catalog_message(locale: str) -> None:
    problems = []
    with use_locale(locale):
        for msgid, text in rendered(locale):
            if found := western_digits(text):
                problems.append(f"{msgid[:60]!r}: {found}")
    assert not problems, f"{locale}:\n" + "\n".join(problems)


def test_the_check_sees_a_western_digit() -> None:
    assert western_digits("صفحة 2 من ٧") == ["صفحة 2 من ٧"]
    assert western_digits(f"الرمز {LRI}RFQ-7K2M{PDI} و /verify") == []


@pytest.mark.parametrize("locale", RTL)
def test_formatters_write_the_languages_digits(locale: str) -> None:
    digits = NATIVE[locale]
    with use_locale(locale):
        samples = [
            format_number(1234567890.5),
            format_percent(0.8),
            format_money(123456789, "USD"),
            format_signed_money(-123456789, "USD"),
            format_fraction(3, 10),
            format_date(date(2026, 3, 5)),
            format_datetime(datetime(2026, 3, 5, 14, 7, tzinfo=UTC), fmt="short"),
            embed(1234567890),
            embed(2.5),
        ]
        for sample in samples:
            assert not WESTERN.search(sample), sample
            assert any(ch in digits for ch in sample), sample
        assert format_number(1234567.5) == f"{digits[1]}٬{digits[2:5]}٬{digits[5:8]}٫{digits[5]}"
        assert format_percent(0.8).startswith(digits[8] + digits[0] + "٪")
        assert embed(-12) not in (embed(12), "-12")
        assert code(1234567) == f"{LRI}1234567{PDI}"  # ids and codes stay as typed
        assert code("RFQ-7K2M") == f"{LRI}RFQ-7K2M{PDI}"
        assert embed("RFQ-7K2M") == "\u2068RFQ-7K2M\u2069"  # a string is not rewritten


def test_arabic_months_are_the_levantine_names() -> None:
    months = [format_date(date(2026, m, 1), "ar").strip("\u2068\u2069") for m in range(1, 13)]
    names = [" ".join(m.split()[1:-1]) for m in months]
    assert names == [
        "كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران",
        "تموز", "آب", "أيلول", "تشرين الأول", "تشرين الثاني", "كانون الأول",
    ]  # fmt: skip
    assert months[2] == "١ آذار ٢٠٢٦"


def test_dari_months_are_the_afghan_names() -> None:
    months = [format_date(date(2026, m, 1), "fa_AF").strip("\u2068\u2069") for m in range(1, 13)]
    assert [m.split()[1] for m in months] == [
        "جنوری", "فبروری", "مارچ", "اپریل", "می", "جون",
        "جولای", "اگست", "سپتمبر", "اکتوبر", "نومبر", "دسمبر",
    ]  # fmt: skip
    assert months[2] == "۱ مارچ ۲۰۲۶"


@pytest.mark.parametrize("locale", ["uk", "en"])
def test_ukrainian_and_english_keep_western_digits(locale: str) -> None:
    assert format_number(1234, locale) in ("1\xa0234", "1,234")
    assert embed(12, locale) == "12"
    assert format_percent(0.8, locale) == "80%"


def test_latin_setting_gives_western_digits_everywhere() -> None:
    load_settings(_env_file=None, digits="latin")
    assert digits_mode() == "latin"
    assert embed(12, "ar") == "\u206812\u2069"
    assert format_percent(0.8, "fa_AF") == "80%"
    assert format_date(date(2026, 3, 5), "ar") == "\u20685 آذار 2026\u2069"  # months stay Levantine
    assert "0.40" in format_money(40, "USD", "ar")
    load_settings(_env_file=None)
    assert digits_mode() == "native"
    assert embed(12, "ar") == "\u2068١٢\u2069"


@pytest.mark.parametrize(
    ("typed", "value"),
    [("12", 12), ("١٢", 12), ("۱۲", 12), ("٠٧", 7), ("۰۷", 7), ("1٢", 12), (" ۳ ", 3)],
)
def test_numbers_are_read_in_any_digit_system(typed: str, value: int) -> None:
    assert parse_number(typed) == value


@pytest.mark.parametrize("typed", ["١٫٥", "12a", "-3", "٢ ٣", "²"])
def test_what_is_not_a_whole_number_is_refused(typed: str) -> None:
    assert parse_number(typed) is None


def _strings(value: object, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")
    elif isinstance(value, str):
        yield where, value


@pytest.mark.parametrize("locale", RTL)
def test_course_texts_use_the_languages_digits(locale: str) -> None:
    files = sorted(COURSES.glob(f"*/{locale}.yaml"))
    assert files
    problems = [
        f"{path.relative_to(COURSES)} {where}: {found}"
        for path in files
        for where, text in _strings(YAML(typ="safe").load(path), "")
        if (found := western_digits(text))
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("locale", RTL)
def test_coordinators_project_figures_screen(locale: str) -> None:
    """A real screen built by a handler: the coordinator's figures of a project."""
    from handlers.work_coordination import figures_text
    from tasks.figures import ProjectFigures
    from tasks.models import WorkProject

    project = WorkProject(
        id="handwritten-digits",
        kind="classification",
        state="open",
        spec={"title": {"en": "Digits", "ar": "أرقام", "fa_AF": "اعداد"}},
        spec_digest="0" * 64,
        reward_minor=2,
        currency="USD",
    )
    found = ProjectFigures(
        project_id=project.id,
        state="open",
        items=1234,
        done=567,
        review=89,
        open=578,
        gold_items=120,
        answers_last_hour=34,
        answers_per_hour=(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12),
        agreement=0.87,
        accuracy_bands=(1, 2, 3, 4),
        paused=2,
        too_fast=3,
        reports={"unclear": 5},
    )
    with use_locale(locale):
        text = figures_text(project, found)
    assert NATIVE[locale][8] + NATIVE[locale][7] in text  # agreement 87%
    assert not western_digits(text), western_digits(text)


@pytest.mark.parametrize("locale", RTL)
def test_course_progress_bar(locale: str) -> None:
    from handlers.learning import progress_bar

    with use_locale(locale):
        assert not western_digits(progress_bar(3, 7))


def test_lists_are_joined_as_each_language_joins_them() -> None:
    from core.i18n import format_list

    assert format_list(["A", "B", "C"], "en") == "A, B, and C"
    assert format_list(["А", "Б", "В"], "uk") == "А, Б і В"
    assert format_list(["الف", "باء"], "ar") == "الف وباء"
    dari = format_list(["یک", "دو", "سه"], "fa_AF")
    assert "," not in dari and "،" in dari and " و " in dari
    assert format_list([], "ar") == ""
