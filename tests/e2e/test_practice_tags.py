"""A trainee does the multi-label practice item of Annotation basics through the stand-in: ticks
two tags (one that applies, one that does not), sends them and reads which were right, missed
and wrong, in Arabic and Ukrainian."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import Runtime
from core.i18n import embed
from courses.models import PracticeAnswer
from tests.e2e.conftest import Onboard, t
from tests.e2e.test_learning import local, open_course, read_every_page, shown


@pytest.mark.parametrize("locale", ["ar", "uk"])
async def test_a_trainee_ticks_two_tags_and_sees_right_missed_and_wrong(
    onboard: Onboard, runtime: Runtime, locale: str
) -> None:
    course = runtime.library.get("annotation-basics")
    practice = course.practice
    item = next(item for item in practice.items if item.multi)
    tags = {tag.id: local(tag.text, locale) for tag in item.tags}
    user = await onboard(330, locale)
    await open_course(user, course, locale)
    await read_every_page(user, course, locale)
    await user.press(t(locale, "🎯 Practice"))
    await user.press(t(locale, "▶️ Start the practice"))
    for single in practice.items[: practice.items.index(item)]:
        right = next(label for label in practice.labels if label.id == single.answer)
        await user.press(local(right.text, locale))
        await user.press(t(locale, "Next ➡️"))

    assert local(item.text, locale) in shown(user) and local(item.question, locale) in shown(user)
    assert [f"⬜ {text}" for text in tags.values()] == [
        label for label in user.last.labels if label.startswith("⬜")
    ]
    send = t(locale, "📨 Send ({count} chosen)")
    assert send.format(count=embed(0, locale)) in user.last.labels
    card = user.last.message_id
    await user.press(f"⬜ {tags['staff']}")  # applies
    await user.press(f"⬜ {tags['price']}")  # does not
    assert user.last.message_id == card  # the same card, edited in place
    assert f"☑️ {tags['staff']}" in user.last.labels and f"☑️ {tags['price']}" in user.last.labels
    assert f"⬜ {tags['delay']}" in user.last.labels
    await user.press(send.format(count=embed(2, locale)))

    feedback = shown(user)
    assert t(locale, "✅ Right: {tags}").format(tags=tags["staff"]) in feedback
    assert t(locale, "⬜ Missed: {tags}").format(tags=tags["delay"]) in feedback
    assert t(locale, "❌ Wrong, these do not apply: {tags}").format(tags=tags["price"]) in feedback
    assert tags["clean"] not in feedback.split(local(item.feedback, locale))[0]
    assert local(item.feedback, locale) in feedback
    assert t(locale, "Finish ✅") in user.last.labels

    async with runtime.sessions() as session:
        stored = (
            await session.execute(
                select(PracticeAnswer.label, PracticeAnswer.correct).where(
                    PracticeAnswer.user_id == 330, PracticeAnswer.item_id == item.id
                )
            )
        ).one()
    assert tuple(stored) == ("staff,price", False)

    await user.press(t(locale, "Finish ✅"))
    assert t(locale, "Practice finished. Thank you!") in shown(user)
