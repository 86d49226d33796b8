"""A course file edited on disk while trainees are mid-way, then the bot restarted.

Each trainee continues at the first thing not done and finishes; a button from before the edit
is refused kindly (a short answer and the current screen). A prompt opened before a restart is
answered after it.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from sqlalchemy import func, select

from bot.app import PollingBot, Runtime
from bot.settings import load_settings
from core.clock import ManualClock
from core.i18n import embed
from courses.content_model import LOCALES, Course
from courses.library import load_library
from courses.loader import DEFAULT_CONTENT_ROOT
from courses.models import Certificate, PracticeAnswer, QuizAnswer
from standin.client import SimUser
from standin.server import StandIn
from tasks.catalog import DEFAULT_PROJECTS_DIR
from tasks.models import LedgerEntry
from tests.e2e.conftest import LANGUAGE_BUTTONS, TELEGRAM_CODES, TOKEN, t
from tests.e2e.test_learning import open_course, read_every_page, shown

COURSE = "annotation-basics"


class Bots:
    """The bot over a course folder on disk; `restart` builds a new runtime on the same database."""

    def __init__(self, database_url: str, clock: ManualClock, standin: StandIn, root: Path):
        self.settings = load_settings(database_url=database_url, admin_ids="900", _env_file=None)
        self.clock, self.standin, self.root = clock, standin, root
        self.runtime: Runtime | None = None
        self.polling: PollingBot | None = None

    async def start(self) -> Runtime:
        library = load_library(self.root, DEFAULT_PROJECTS_DIR)
        assert library.problems == ()
        self.runtime = Runtime.create(self.settings, clock=self.clock, library=library)
        self.polling = PollingBot(
            self.runtime,
            TOKEN,
            self.standin.api_base,
            on_handled=self.standin.handled_reporter(TOKEN),
        )
        await self.polling.start()
        return self.runtime

    async def stop(self) -> None:
        if self.polling is not None:
            await self.polling.stop()
        if self.runtime is not None:
            await self.runtime.close()
        self.polling = self.runtime = None

    async def restart(self) -> Runtime:
        await self.stop()
        return await self.start()


@pytest.fixture
async def bots(
    database_url: str, clock: ManualClock, standin: StandIn, tmp_path: Path
) -> AsyncIterator[Bots]:
    root = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_ROOT, root)
    bots = Bots(database_url, clock, standin, root)
    await bots.start()
    yield bots
    await bots.stop()


Join = Callable[[int, str], Awaitable[SimUser]]


@pytest.fixture
def join(standin: StandIn, bots: Bots) -> Join:
    async def _join(user_id: int, locale: str) -> SimUser:
        user = standin.user(user_id, first_name="Test", language_code=TELEGRAM_CODES[locale])
        await user.send("/start")
        await user.press(LANGUAGE_BUTTONS[locale])
        await user.press(t(locale, "✅ I agree"))
        return user

    return _join


def edit_course(folder: Path) -> None:
    """Questions and practice items reversed, q3 and p3 (and the multi-label item) removed, q9
    and p9 added (first among the questions, in the middle of the items); lessons in reverse
    order."""
    yaml = YAML()
    spec = yaml.load(folder / "course.yaml")
    quiz = [q for q in spec["quiz"] if q["id"] != "q3"]
    first = quiz[0]
    added = {"id": "q9", "options": list(first["options"]), "answer": first["answer"]}
    spec["quiz"] = [added, *reversed(quiz)]
    items = [item for item in spec["practice"]["items"] if item["id"] not in ("p3", "review")]
    shutil.copy(folder / "images" / "p1.jpg", folder / "images" / "p9.jpg")
    new_item = {"id": "p9", "image": "images/p9.jpg", "answer": items[0]["answer"]}
    reordered = list(reversed(items))
    spec["practice"]["items"] = [*reordered[:5], new_item, *reordered[5:]]
    spec["lessons"] = list(reversed(spec["lessons"]))
    yaml.dump(spec, folder / "course.yaml")
    for locale in LOCALES:
        path = folder / f"{locale}.yaml"
        texts = yaml.load(path)
        texts["quiz"]["q9"] = texts["quiz"]["q1"]
        del texts["quiz"]["q3"]
        item = dict(texts["practice"]["items"]["p1"])
        item["feedback"] = f"{item['feedback']} (p9)"
        texts["practice"]["items"]["p9"] = item
        del texts["practice"]["items"]["p3"]
        del texts["practice"]["items"]["review"]
        yaml.dump(texts, path)


def right_option(course: Course, question_id: str, locale: str) -> str:
    question = next(q for q in course.quiz if q.id == question_id)
    return next(o.text[locale] for o in question.options if o.id == question.answer)


async def count(runtime: Runtime, model: type, user_id: int) -> int:
    query = select(func.count()).select_from(model).where(model.user_id == user_id)
    async with runtime.sessions() as session:
        return (await session.execute(query)).scalar_one()


def answers(events: list) -> list[str]:
    return [e.text for e in events if e.kind == "callback_answer"]


async def test_trainees_mid_way_continue_and_finish_after_the_course_is_edited(
    bots: Bots, join: Join
) -> None:
    runtime = bots.runtime
    course = runtime.library.get(COURSE)
    quizzer, practiser, reader = await join(201, "en"), await join(202, "uk"), await join(203, "ar")

    await open_course(quizzer, course, "en")
    await read_every_page(quizzer, course, "en")
    await quizzer.press("📝 Start the quiz")
    for question_id in ("q1", "q2"):
        await quizzer.press(right_option(course, question_id, "en"))
        await quizzer.press("Next ➡️")
    assert course.quiz[2].text["en"] in shown(quizzer)
    old_question = quizzer.last.button(right_option(course, "q3", "en")).callback_data

    await open_course(practiser, course, "uk")
    await read_every_page(practiser, course, "uk")
    await practiser.press(t("uk", "🎯 Practice"))
    await practiser.press(t("uk", "▶️ Start the practice"))
    practice = course.practice
    labels = {label.id: label.text["uk"] for label in practice.labels}
    for item in practice.items[:2]:
        await practiser.press(labels[item.answer])
        await practiser.press(t("uk", "Next ➡️"))
    old_item = practiser.last.button(labels[practice.items[2].answer]).callback_data

    await open_course(reader, course, "ar")
    for _ in range(len(course.lessons[0].pages) + 1):
        await reader.press(t("ar", "Next ➡️"))
    assert course.lessons[1].pages[1].text["ar"] in shown(reader)

    edit_course(bots.root / COURSE)
    runtime = await bots.restart()
    edited = runtime.library.get(COURSE)
    assert [q.id for q in edited.quiz] == ["q9", "q8", "q7", "q6", "q5", "q4", "q2", "q1"]

    # the quizzer's old button (q3, now gone) is refused; the screen shows the next question
    events = await quizzer.press_data(old_question, quizzer.last.message_id)
    assert answers(events) == [t("en", "This button is no longer valid.")]
    assert edited.quiz[0].text["en"] in shown(quizzer)
    assert await count(runtime, QuizAnswer, 201) == 2
    for question in edited.quiz[:6]:
        assert question.text["en"] in shown(quizzer)
        await quizzer.press(right_option(edited, question.id, "en"))
        await quizzer.press("Next ➡️")
    passed = t("en", "🎉 You passed {course} with {score} of {total} right answers!")
    assert shown(quizzer).startswith(
        passed.format(course=edited.title["en"], score=embed(8, "en"), total=embed(8, "en"))
    )

    # the practiser's old button (p3, now gone) is refused; the next card is the first unanswered
    events = await practiser.press_data(old_item, practiser.last.message_id)
    assert answers(events) == [t("uk", "This button is no longer valid.")]
    assert await count(runtime, PracticeAnswer, 202) == 2
    remaining = [item for item in edited.practice.items if item.id not in ("p1", "p2")]
    assert [item.id for item in remaining] == ["p8", "p7", "p6", "p5", "p4", "p9"]
    for index, item in enumerate(remaining):
        assert practiser.last.photo is not None
        await practiser.press(labels[item.answer])
        assert item.feedback["uk"] in shown(practiser)
        last = index == len(remaining) - 1
        await practiser.press(t("uk", "Finish ✅" if last else "Next ➡️"))
    assert t("uk", "Practice finished. Thank you!") in shown(practiser)
    assert await count(runtime, PracticeAnswer, 202) == 8
    assert await count(runtime, LedgerEntry, 202) == 8

    # the reader stays on the same page of the same lesson, wherever that lesson now is
    await open_course(reader, edited, "ar")
    assert course.lessons[1].pages[1].text["ar"] in shown(reader)
    await reader.press(t("ar", "Next ➡️"))
    assert course.lessons[1].pages[2].text["ar"] in shown(reader)


async def test_the_certificate_name_sent_after_a_restart_issues_the_certificate(
    bots: Bots, join: Join
) -> None:
    runtime = bots.runtime
    course = runtime.library.get("working-on-platform")
    user = await join(204, "fa_AF")
    await open_course(user, course, "fa_AF")
    await read_every_page(user, course, "fa_AF")
    await user.press(t("fa_AF", "📝 Start the quiz"))
    for question in course.quiz:
        await user.press(right_option(course, question.id, "fa_AF"))
        await user.press(t("fa_AF", "Next ➡️"))
    await user.press(t("fa_AF", "🎓 My certificate"))
    assert shown(user).startswith("✍️")

    runtime = await bots.restart()

    await user.send("Zahra Ahmadi")
    events = await user.press(t("fa_AF", "✅ Yes"))
    photos = [e.message for e in events if e.kind == "message" and e.message.photo]
    assert len(photos) == 1
    async with runtime.sessions() as session:
        certificate = (
            await session.execute(select(Certificate).where(Certificate.user_id == 204))
        ).scalar_one()
    assert certificate.name == "Zahra Ahmadi" and certificate.code in photos[0].caption
