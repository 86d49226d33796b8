"""Choosing a broadcast's audience: the kinds, the second choice some need (which group,
language, course, project or number of days), and the audience named in a sentence."""

from __future__ import annotations

from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import _, embed, ngettext
from core.locales import CATALOG_LOCALES, LANGUAGE_NAMES
from core.text_input import parse_number
from courses.library import CourseLibrary, course_key
from handlers.callbacks import BroadcastAudience, MenuAction
from handlers.keyboards import menu_button
from handlers.learning import local
from handlers.screens import Screen
from handlers.work import title
from outreach import audience as audiences
from outreach.audience import (
    ACTIVE,
    COHORT,
    COURSE_DONE,
    COURSE_NOT_DONE,
    EVERYONE,
    KINDS,
    LANGUAGE,
    PROJECT,
    Audience,
)
from people.accounts import Member

DAYS = (1, 3, 7, 14, 30)  # "active in the last N days" choices
MAX_CHOICES = 90  # buttons on one screen (Telegram takes at most 100)


def audience_screen(member: Member, note: str | None = None) -> Screen:
    builder = InlineKeyboardBuilder()
    labels = {
        EVERYONE: _("Everyone") if member.is_admin else _("Everyone in your groups"),
        COHORT: _("One group"),
        LANGUAGE: _("One language"),
        COURSE_DONE: _("Finished a course"),
        COURSE_NOT_DONE: _("Not finished a course"),
        PROJECT: _("Can work on a project"),
        ACTIVE: _("Active recently"),
    }
    for kind in KINDS:
        builder.button(text=labels[kind], callback_data=BroadcastAudience(kind=kind))
    builder.adjust(1)
    builder.row(menu_button())
    text = _("📣 New announcement\n\nWho should get it?")
    return Screen(f"{note}\n\n{text}" if note else text, builder.as_markup())


async def choices_screen(
    session: AsyncSession, member: Member, library: CourseLibrary, kind: str
) -> Screen | None:
    """The second choice an audience needs (which group, language, course, project, days)."""
    builder = InlineKeyboardBuilder()
    if kind == COHORT:
        found = await audiences.cohorts_within(session, audiences.reach_of(member))
        if not found:
            return None
        for cohort in found[:MAX_CHOICES]:
            label = f"{cohort.name} · {cohort.organisation}" if member.is_admin else cohort.name
            builder.button(
                text=label[:60], callback_data=BroadcastAudience(kind=kind, value=str(cohort.id))
            )
        question = _("Which group?")
    elif kind == LANGUAGE:
        for locale in CATALOG_LOCALES:
            builder.button(
                text=LANGUAGE_NAMES[locale],
                callback_data=BroadcastAudience(kind=kind, value=locale),
            )
        question = _("People who read which language?")
    elif kind in (COURSE_DONE, COURSE_NOT_DONE):
        for course in library.courses[:MAX_CHOICES]:
            builder.button(
                text=local(course.title)[:60],
                callback_data=BroadcastAudience(kind=kind, value=course_key(course.id)),
            )
        question = _("Which course?")
    elif kind == PROJECT:
        projects = await audiences.projects_not_closed(session)
        if not projects:
            return None
        for project in projects[:MAX_CHOICES]:
            builder.button(
                text=title(project)[:60],
                callback_data=BroadcastAudience(kind=kind, value=course_key(project.id)),
            )
        question = _("People who can work on which project?")
    else:
        for days in DAYS:
            builder.button(
                text=ngettext("Last {count} day", "Last {count} days", days).format(
                    count=embed(days)
                ),
                callback_data=BroadcastAudience(kind=kind, value=str(days)),
            )
        question = _("Active in the last how many days?")
    builder.adjust(1 if kind in (COHORT, COURSE_DONE, COURSE_NOT_DONE, PROJECT) else 2)
    builder.button(text=_("⬅️ Back"), callback_data=MenuAction(action="broadcast"))
    return Screen(question, builder.as_markup())


async def chosen_audience(
    session: AsyncSession, library: CourseLibrary, kind: str, value: str
) -> Audience | None:
    """The audience a button names, or None when its value names nothing."""
    if kind == EVERYONE:
        return Audience(kind)
    if kind == COHORT:
        cohort_id = parse_number(value, low=1, high=2**31 - 1)
        return Audience(kind, cohort_id=cohort_id) if cohort_id else None
    if kind == LANGUAGE:
        return Audience(kind, locale=value) if value in CATALOG_LOCALES else None
    if kind in (COURSE_DONE, COURSE_NOT_DONE):
        course = library.by_key(value)
        return Audience(kind, course_id=course.id) if course else None
    if kind == PROJECT:
        projects = await audiences.projects_not_closed(session)
        found = next((p for p in projects if course_key(p.id) == value), None)
        return Audience(kind, project_id=found.id) if found else None
    days = parse_number(value, low=1, high=audiences.MAX_DAYS)
    return Audience(kind, days=days) if days else None


async def audience_label(
    session: AsyncSession, library: CourseLibrary, audience: Audience, member: Member
) -> str:
    kind = audience.kind
    if kind == COHORT and audience.cohort_id is not None:
        name = await audiences.cohort_name(session, audience.cohort_id) or "?"
        return _("Group {cohort}").format(cohort=embed(name))
    if kind == LANGUAGE and audience.locale:
        return _("People who read {language}").format(
            language=embed(LANGUAGE_NAMES[audience.locale])
        )
    if kind in (COURSE_DONE, COURSE_NOT_DONE):
        course = library.get(audience.course_id or "")
        name = embed(local(course.title) if course else audience.course_id or "?")
        if kind == COURSE_DONE:
            return _("People who finished {course}").format(course=name)
        return _("People who have not finished {course}").format(course=name)
    if kind == PROJECT:
        projects = await audiences.projects_not_closed(session)
        found = next((p for p in projects if p.id == audience.project_id), None)
        name = embed(title(found) if found else audience.project_id or "?")
        return _("People who can work on {project}").format(project=name)
    if kind == ACTIVE and audience.days:
        return ngettext(
            "People active in the last {count} day",
            "People active in the last {count} days",
            audience.days,
        ).format(count=embed(audience.days))
    return _("Everyone") if member.is_admin else _("Everyone in your groups")
