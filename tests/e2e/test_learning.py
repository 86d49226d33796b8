"""A trainee takes the real starter courses through the stand-in, in every language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import PollingBot, Runtime
from core.clock import ManualClock
from core.i18n import embed, format_datetime
from courses.content_model import Course
from courses.models import Certificate, CourseProgress, PracticeAnswer, QuizAttempt, UserSkill
from standin.client import SimUser
from tasks.models import LedgerEntry
from tests.e2e.conftest import Onboard, t

LOCALES = ["ar", "fa_AF", "uk", "en"]
COURSES = ["annotation-basics", "working-on-platform"]


def local(text: dict[str, str], locale: str) -> str:
    return text[locale]


async def open_course(user: SimUser, course: Course, locale: str) -> None:
    await user.send("/learn")
    title = local(course.title, locale)
    label = next(label for label in user.last.labels if title in label)
    await user.press(label)


def shown(user: SimUser) -> str:
    message = user.last
    return message.text if message.text is not None else (message.caption or "")


def course_pages(course: Course) -> list:
    return [page for lesson in course.lessons for page in lesson.pages]


async def read_every_page(user: SimUser, course: Course, locale: str) -> list[str]:
    seen = []
    for lesson in course.lessons:
        for page in lesson.pages:
            assert local(page.text, locale) in shown(user)
            assert (user.last.photo is not None) == (page.image is not None)
            seen.append(shown(user))
            await user.press(t(locale, "Next ➡️"))
    return seen


async def answer_quiz(user: SimUser, course: Course, locale: str, right: bool = True) -> None:
    await user.press(t(locale, "📝 Start the quiz"))
    for question in course.quiz:
        assert local(question.text, locale) in shown(user)
        pick = next(o for o in question.options if (o.id == question.answer) == right)
        await user.press(local(pick.text, locale))
        assert local(question.explanation, locale) in shown(user)
        await user.press(t(locale, "Next ➡️"))


async def count(runtime: Runtime, model: type, **where: object) -> int:
    query = select(func.count()).select_from(model)
    for column, value in where.items():
        query = query.where(getattr(model, column) == value)
    async with runtime.sessions() as session:
        return (await session.execute(query)).scalar_one()


@pytest.mark.parametrize("course_id", COURSES)
@pytest.mark.parametrize("locale", LOCALES)
async def test_trainee_completes_course_and_gets_certificate(
    onboard: Onboard, runtime: Runtime, work_projects: list[str], locale: str, course_id: str
) -> None:
    course = runtime.library.get(course_id)
    user = await onboard(100, locale)
    await open_course(user, course, locale)
    events_before = len(user.events)
    await read_every_page(user, course, locale)
    sent = [e for e in user.events[events_before:] if e.kind == "message"]
    # pages are edits in place; only a switch between text and photo costs a new message
    switches = sum(
        1
        for before, after in zip(course_pages(course), course_pages(course)[1:], strict=False)
        if (before.image is None) != (after.image is None)
    )
    assert len(sent) == switches + (course_pages(course)[-1].image is not None)
    assert len(sent) < course.page_count / 2
    assert len(user.messages) <= 6
    await answer_quiz(user, course, locale)
    total = len(course.quiz)
    passed = t(locale, "🎉 You passed {course} with {score} of {total} right answers!").format(
        course=local(course.title, locale),
        score=embed(total, locale),
        total=embed(total, locale),
    )
    assert shown(user).startswith(passed)

    await user.press(t(locale, "🎓 My certificate"))
    assert shown(user).startswith("✍️")
    await user.send("Amina \u202eHaddad")
    assert await count(runtime, Certificate, user_id=100) == 0  # not before the name is confirmed
    events = await user.press(t(locale, "✅ Yes"))
    photos = [e.message for e in events if e.kind == "message" and e.message.photo]
    assert len(photos) == 1 and photos[0].photo.width == 1600

    async with runtime.sessions() as session:
        certificate = (
            await session.execute(select(Certificate).where(Certificate.user_id == 100))
        ).scalar_one()
    assert certificate.name == "Amina Haddad" and certificate.locale == locale
    assert certificate.code in photos[0].caption
    assert await count(runtime, UserSkill, user_id=100, skill=course.skill) == 1

    await user.send("/menu")
    await user.press(t(locale, "🛠 Work"))
    opened = [p for p in runtime.library.projects if set(p.requires) <= {course.skill}]
    labels = " ".join(user.last.labels)
    for project in runtime.library.projects:
        assert (project.title[locale] in labels) == (project in opened)

    await user.send(f"/verify {certificate.code}")
    assert t(
        locale,
        "✅ This certificate is genuine.\nCode: {code}\nName: {name}\nCourse: "
        "{course}\nIssued: {date}",
    ).split("\n")[0] in shown(user)
    assert "Amina Haddad" in shown(user)


@pytest.mark.parametrize("locale", ["fa_AF", "en"])
async def test_practice_set_gives_feedback_and_records_training_pay_once(
    onboard: Onboard, runtime: Runtime, locale: str
) -> None:
    course = runtime.library.get("annotation-basics")
    practice = course.practice
    user = await onboard(101, locale)
    await open_course(user, course, locale)
    await read_every_page(user, course, locale)
    await user.press(t(locale, "🎯 Practice"))
    assert local(practice.intro, locale) in shown(user)
    await user.press(t(locale, "▶️ Start the practice"))
    card_id = user.last.message_id
    stale_data = None
    for index, item in enumerate(practice.items):
        if item.multi:  # tagging: tick the tags that apply, then Send
            assert local(item.question, locale) in shown(user)
            for tag in item.tags:
                if tag.id in item.answers:
                    await user.press(f"⬜ {local(tag.text, locale)}")
            await user.press(
                t(locale, "📨 Send ({count} chosen)").format(count=embed(len(item.answers), locale))
            )
            assert local(item.feedback, locale) in shown(user)
            await user.press(t(locale, "Finish ✅" if item is practice.items[-1] else "Next ➡️"))
            continue
        assert user.last.photo is not None and local(practice.question, locale) in shown(user)
        assert user.last.message_id == card_id  # one message, edited in place
        wrong = index == 0
        label = next(lb for lb in practice.labels if (lb.id == item.answer) != wrong)
        if stale_data is None:
            stale_data = user.last.button(local(label.text, locale)).callback_data
        await user.press(local(label.text, locale))
        assert local(item.feedback, locale) in shown(user)
        await user.press(t(locale, "Finish ✅" if index == len(practice.items) - 1 else "Next ➡️"))
    assert t(locale, "Practice finished. Thank you!") in shown(user)

    assert await count(runtime, PracticeAnswer, user_id=101) == len(practice.items)
    assert await count(runtime, LedgerEntry, user_id=101, kind="practice") == len(practice.items)
    async with runtime.sessions() as session:
        total = (
            await session.execute(
                select(func.sum(LedgerEntry.amount_minor)).where(
                    LedgerEntry.user_id == 101, LedgerEntry.to_account == "available"
                )
            )
        ).scalar_one()
    assert total == practice.rate_minor * len(practice.items)

    await user.press_data(stale_data, user.last.message_id)  # a replayed first answer
    assert await count(runtime, LedgerEntry, user_id=101, kind="practice") == len(practice.items)
    assert await count(runtime, PracticeAnswer, user_id=101) == len(practice.items)


async def test_trainee_resumes_on_the_same_page_after_a_restart(
    onboard: Onboard, runtime: Runtime, polling: PollingBot
) -> None:
    course = runtime.library.get("annotation-basics")
    user = await onboard(102, "ar")
    await open_course(user, course, "ar")
    for _ in range(4):
        await user.press(t("ar", "Next ➡️"))
    page_before = shown(user)
    assert course.lessons[1].pages[1].text["ar"] in page_before

    await polling.restart()

    await open_course(user, course, "ar")
    assert shown(user) == page_before
    await user.press(t("ar", "Next ➡️"))
    assert course.lessons[1].pages[2].text["ar"] in shown(user)
    async with runtime.sessions() as session:
        row = await session.get(CourseProgress, (102, course.id))
    assert (row.lesson_id, row.page) == (course.lessons[1].id, 3)


async def test_failed_quiz_offers_retry_after_cooldown_and_not_before(
    onboard: Onboard, runtime: Runtime, clock: ManualClock
) -> None:
    course = runtime.library.get("working-on-platform")
    user = await onboard(103, "uk")
    await open_course(user, course, "uk")
    await read_every_page(user, course, "uk")
    await answer_quiz(user, course, "uk", right=False)
    assert t("uk", "🔁 Try again") not in user.last.labels  # hidden until the cooldown ends
    result_id = user.last.message_id

    events = await user.press_data(f"lq:{course.id}", result_id)  # an old Try again
    alerts = [e for e in events if e.kind == "callback_answer" and e.show_alert]
    until = format_datetime(
        clock.now() + course.retry_cooldown, "uk", fmt="short", tzinfo=runtime.settings.zone
    )
    assert alerts and until in alerts[0].text
    assert await count(runtime, QuizAttempt, user_id=103) == 1
    assert t("uk", "🔁 Try again") not in user.last.labels  # still the result, no question

    clock.advance(course.retry_cooldown - timedelta(minutes=1))
    events = await user.press_data(f"lq:{course.id}", result_id)
    assert any(e.kind == "callback_answer" and e.show_alert for e in events)

    clock.advance(timedelta(minutes=1))
    await open_course(user, course, "uk")
    await user.press(t("uk", "🔁 Try again"))
    assert local(course.quiz[0].text, "uk") in shown(user)
    assert await count(runtime, UserSkill, user_id=103) == 0


async def test_skill_is_granted_exactly_once(onboard: Onboard, runtime: Runtime) -> None:
    course = runtime.library.get("working-on-platform")
    user = await onboard(104, "en")
    await open_course(user, course, "en")
    await read_every_page(user, course, "en")
    await user.press("📝 Start the quiz")
    last_question_data = None
    for question in course.quiz:
        right = next(o for o in question.options if o.id == question.answer)
        last_question_data = user.last.button(right.text["en"]).callback_data
        await user.press(right.text["en"])
        await user.press("Next ➡️")
    assert await count(runtime, UserSkill, user_id=104) == 1

    events = await user.press_data(last_question_data, user.last.message_id)
    assert any(e.kind == "callback_answer" for e in events)
    await user.press_data(f"lq:{course.id}", user.last.message_id)  # forged "start quiz"
    assert await count(runtime, UserSkill, user_id=104) == 1
    assert await count(runtime, QuizAttempt, user_id=104) == 1


async def test_lesson_image_is_uploaded_once_then_resent_by_file_id(
    onboard: Onboard, runtime: Runtime, standin: object
) -> None:
    from core.media import MediaFile

    course = runtime.library.get("working-on-platform")
    assert course.lessons[0].pages[0].image is not None
    first = await onboard(105, "ar")
    await open_course(first, course, "ar")
    uploads = len(standin.stored_files())
    photo = first.last.photo
    assert photo is not None and max(photo.width, photo.height) <= 1024
    assert photo.file_size < 80_000
    assert await count(runtime, MediaFile) == 1

    second = await onboard(106, "uk")
    await open_course(second, course, "uk")
    assert second.last.photo.file_id == photo.file_id
    assert len(standin.stored_files()) == uploads  # nothing uploaded again


async def test_trainee_resumes_on_the_same_quiz_question_after_a_restart(
    onboard: Onboard, runtime: Runtime, polling: PollingBot
) -> None:
    course = runtime.library.get("working-on-platform")
    user = await onboard(107, "fa_AF")
    await open_course(user, course, "fa_AF")
    await read_every_page(user, course, "fa_AF")
    await user.press(t("fa_AF", "📝 Start the quiz"))
    for question in course.quiz[:2]:
        right = next(o for o in question.options if o.id == question.answer)
        await user.press(right.text["fa_AF"])
        await user.press(t("fa_AF", "Next ➡️"))
    assert course.quiz[2].text["fa_AF"] in shown(user)

    await polling.restart()

    await open_course(user, course, "fa_AF")
    assert course.quiz[2].text["fa_AF"] in shown(user)
    heading = t("fa_AF", "{course} · Quiz, question {number} of {total}").format(
        course=course.title["fa_AF"],
        number=embed(3, "fa_AF"),
        total=embed(len(course.quiz), "fa_AF"),
    )
    assert shown(user).startswith(heading)


async def test_a_failing_telegram_call_still_answers_the_button(
    onboard: Onboard, runtime: Runtime, standin: object
) -> None:
    course = runtime.library.get("annotation-basics")
    user = await onboard(108, "uk")
    await open_course(user, course, "uk")
    for _ in range(2):
        await user.press(t("uk", "Next ➡️"))
    assert course.lessons[0].pages[2].image is None and course.lessons[1].pages[0].image is None
    standin.fail_next("editMessageText", status=500)
    events = await user.press(t("uk", "Next ➡️"))
    alerts = [e.text for e in events if e.kind == "callback_answer"]
    assert alerts == [t("uk", "Sorry, something went wrong. Please try again.")]
    assert standin.unanswered_callback_queries() == []
    await user.press(t("uk", "Next ➡️"))  # the same (stale) button shows where the trainee is
    assert course.lessons[1].pages[0].text["uk"] in shown(user)


async def test_chatting_after_passing_does_not_name_the_certificate(
    onboard: Onboard, runtime: Runtime
) -> None:
    course = runtime.library.get("working-on-platform")
    user = await onboard(109, "en")
    await open_course(user, course, "en")
    await read_every_page(user, course, "en")
    await answer_quiz(user, course, "en")
    await user.send("thanks a lot")
    assert user.last.text == "I did not understand that. Send /help to see what I can do."
    assert user.last.labels == ["🏠 Menu"]
    assert await count(runtime, Certificate, user_id=109) == 0

    await user.press("🎓 My certificate", user.messages[-2].message_id)
    await user.send("Yusuf Rahimi")
    await user.press("✅ Yes")
    assert await count(runtime, Certificate, user_id=109) == 1
    async with runtime.sessions() as session:
        certificate = (
            await session.execute(select(Certificate).where(Certificate.user_id == 109))
        ).scalar_one()
    assert certificate.name == "Yusuf Rahimi"


async def test_a_file_id_telegram_forgot_is_replaced_by_a_new_upload(
    onboard: Onboard, runtime: Runtime, standin: object
) -> None:
    from sqlalchemy import update

    from core.media import MediaFile

    course = runtime.library.get("working-on-platform")
    first = await onboard(111, "en")
    await open_course(first, course, "en")
    async with runtime.sessions() as session:
        await session.execute(update(MediaFile).values(file_id="no-such-file-id"))
        await session.commit()

    second = await onboard(112, "en")
    await open_course(second, course, "en")
    assert second.last.photo is not None
    async with runtime.sessions() as session:
        stored = (await session.execute(select(MediaFile.file_id))).scalars().all()
    assert stored == [second.last.photo.file_id]
