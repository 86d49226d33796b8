"""Paid work: the projects open to a worker, and one item at a time, edited in place."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time, tzinfo
from typing import TYPE_CHECKING

from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.i18n import (
    _,
    current_locale,
    embed,
    format_list,
    format_money,
    format_percent,
    format_signed_money,
    minutes_text,
    seconds_text,
)
from courses.content_model import Course
from courses.library import CourseLibrary
from courses.quiz import skills as learned_skills
from handlers.callbacks import (
    DisputeOpen,
    MenuAction,
    OpenCourse,
    WorkAnswer,
    WorkLesson,
    WorkNext,
    WorkOpen,
    WorkPutBack,
    WorkToggle,
)
from handlers.filters import IsMember
from handlers.learning import local, minutes_until
from handlers.media import StoredPhoto
from handlers.preferences import zone_of
from handlers.routing import Routes
from handlers.screens import Screen, present
from people.accounts import Member
from tasks import disputes, images
from tasks import work as service
from tasks.models import WorkItem, WorkProject
from tasks.work import AnswerOutcome, Offer, Rules, WorkError

if TYPE_CHECKING:  # the dispatcher hands the settings in; handlers never import the bot
    from bot.settings import Settings

router = Routes(__name__, IsMember())

KIND_ICONS = {"classification": "🏷", "tagging": "🔖", "verification": "☑️", "comparison": "⚖️"}


def _seconds(rules: Rules) -> int | float:
    seconds = rules.min_seconds
    return int(seconds) if seconds == int(seconds) else seconds


def title(project: WorkProject) -> str:
    return local(project.spec["title"])


def _day_start(now: datetime, zone: tzinfo) -> datetime:
    """Midnight of `now`'s day where the deployment is (its TIMEZONE), as the Earnings week is."""
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(0), tzinfo=zone)


def _teaching(project: WorkProject, library: CourseLibrary) -> Course | None:
    teaches = project.spec.get("teaches") or {}
    return library.get(teaches.get("course", ""))


def _courses_for(rules: Rules, library: CourseLibrary, skills: set[str]) -> list[Course]:
    return [c for c in library.courses if c.skill in rules.requires and c.skill not in skills]


async def work_screen(session: AsyncSession, member: Member, library: CourseLibrary) -> Screen:
    """The Work menu: the projects open to the worker, or how to open some."""
    skills = await learned_skills(session, member.id)
    builder = InlineKeyboardBuilder()
    mine = await service.projects_for(session, skills)
    for project in mine:
        icon = KIND_ICONS.get(project.kind, "🏷")
        builder.button(text=f"{icon} {title(project)}", callback_data=WorkOpen(project=project.id))
    if mine:
        text = _("Paid work. Choose a project:")
    else:
        everything = await service.projects_for(session, {c.skill for c in library.courses})
        courses = {
            course.id: course
            for project in everything
            for course in _courses_for(Rules.of(project), library, skills)
        }
        if courses:
            text = _(
                "No paid project is open to you yet. Pass a course to open one: {courses}."
            ).format(courses=format_list(f"«{local(c.title)}»" for c in courses.values()))
            for course in courses.values():
                builder.button(
                    text=f"📘 {local(course.title)}", callback_data=OpenCourse(course=course.id)
                )
        else:
            text = _("There is no paid work open right now. Please look again later.")
    builder.button(text=_("🏠 Menu"), callback_data=MenuAction(action="home"))
    builder.adjust(1)
    return Screen(text, builder.as_markup())


def rules_text(project: WorkProject, standing: service.Standing) -> str:
    rules = Rules.of(project)
    lines = [
        f"{KIND_ICONS.get(project.kind, '🏷')} {title(project)}",
        local(project.spec["instructions"]),
        _("How this work goes:"),
        "• "
        + _("Each answer pays {amount}, once.").format(
            amount=format_money(rules.reward_minor, rules.currency)
        ),
        "• "
        + _(
            "An item is yours for {minutes}. A late answer is not counted, "
            "but it is paid if it comes within {grace} after that."
        ).format(
            minutes=minutes_text(int(rules.lease.total_seconds() // 60)),
            grace=minutes_text(int(rules.grace.total_seconds() // 60)),
        ),
        "• "
        + _(
            "Answers faster than {seconds} are flagged and not paid: no honest answer is that fast."
        ).format(seconds=seconds_text(_seconds(rules))),
        "• "
        + _(
            "Some items are control items with a known answer. They look like any other; "
            "if you get one wrong, you see the right answer and why."
        ),
        "• "
        + _(
            "Your accuracy on control items: {accuracy} ({answered} answered). "
            "Below {minimum} you are paused on this project."
        ).format(
            accuracy=embed(format_percent(standing.accuracy)),
            answered=embed(standing.gold_answered),
            minimum=embed(format_percent(rules.min_gold_accuracy)),
        ),
        "• " + _("“Not sure” and “Skip” pass the item to someone else; they are not paid."),
    ]
    return "\n\n".join(lines[:3]) + "\n" + "\n".join(lines[3:])


def paused_text(project: WorkProject, standing: service.Standing, course: Course | None) -> str:
    rules = Rules.of(project)
    lines = [
        _(
            "⏸ You are paused on «{project}»: your accuracy on control items is {accuracy}, "
            "below the {minimum} this project needs."
        ).format(
            project=title(project),
            accuracy=embed(format_percent(standing.accuracy)),
            minimum=embed(format_percent(rules.min_gold_accuracy)),
        ),
        _("Everything you answered so far is paid."),
    ]
    if course is not None:
        lines.append(
            _(
                "Go through the course «{course}» again, then ask your coordinator "
                "to reopen the project for you."
            ).format(course=local(course.title))
        )
    return "\n\n".join(lines)


async def project_screen(
    session: AsyncSession, member: Member, project: WorkProject, library: CourseLibrary
) -> Screen:
    standing = await service.standing(session, member.id, project)
    course = _teaching(project, library)
    builder = InlineKeyboardBuilder()
    if standing.paused:
        text = paused_text(project, standing, course)
        if course is not None:
            builder.button(
                text=f"📘 {local(course.title)}", callback_data=OpenCourse(course=course.id)
            )
    else:
        text = rules_text(project, standing)
        builder.button(text=_("▶️ Start"), callback_data=WorkNext(project=project.id))
        if course is not None:
            builder.button(text=_("📖 The lesson"), callback_data=WorkLesson(project=project.id))
    builder.button(text=_("⬅️ Work"), callback_data=MenuAction(action="work"))
    builder.adjust(1)
    return Screen(text, builder.as_markup())


def _question(project: WorkProject, item: WorkItem) -> str:
    spec = project.spec
    if project.kind == "verification":
        suggested = next(
            (lb for lb in spec["labels"] if lb["id"] == item.content.get("suggestion")), None
        )
        shown = local(suggested["text"]) if suggested else "?"
        return _("The suggested label is «{label}». Is it right?").format(label=shown)
    if project.kind == "comparison":
        return local(spec["criterion"])
    if project.kind == "tagging":
        return _("Choose every label that fits, then Send.")
    return _("Choose the label that fits.")


def answer_text(project: WorkProject, answer_id: str) -> str:
    if project.kind == "verification":
        return {"yes": _("✅ Yes"), "no": _("❌ No"), "unsure": _("🤷 Not sure")}[answer_id]
    if project.kind == "comparison":
        return {"a": _("🅰️ First"), "b": _("🅱️ Second")}[answer_id]
    label = next(lb for lb in project.spec["labels"] if lb["id"] == answer_id)
    return local(label["text"])


def item_body(project: WorkProject, item: WorkItem) -> str:
    content = item.content
    parts: list[str] = []
    if project.kind == "comparison":
        first = content.get("text") or _("(the left picture)")
        second = content.get("text_b") or _("(the right picture)")
        parts += [f"🅰️ {first}", f"🅱️ {second}"]
    elif content.get("text"):
        parts.append(content["text"])
    parts.append(_question(project, item))
    return "\n\n".join(parts)


async def item_photo(session: AsyncSession, item: WorkItem) -> StoredPhoto | None:
    ids = [i for i in (item.image_id, item.image_b_id) if i is not None]
    if not ids:
        return None
    found = await images.digests(session, ids)
    if len(ids) == 1:
        return StoredPhoto((ids[0],), found[ids[0]])
    pair = hashlib.sha256("+".join(found[i] for i in ids).encode()).hexdigest()
    return StoredPhoto(tuple(ids), pair)


async def item_screen(
    session: AsyncSession,
    member: Member,
    offer: Offer,
    clock: Clock,
    chosen: int = 0,
    zone: tzinfo = UTC,
) -> Screen:
    project, item = offer.project, offer.item
    rules = Rules.of(project)
    now = clock.now()
    today = await service.today(session, member.id, _day_start(now, zone))
    earned = " + ".join(
        format_money(v, c) for c, v in sorted(today.earned.items())
    ) or format_money(0, rules.currency)
    status = _("Today: {answers} answers, {earned}. ⏳ This item is yours for {minutes}.").format(
        answers=embed(today.answers),
        earned=earned,
        minutes=minutes_text(minutes_until(offer.expires_at, now)),
    )
    text = f"{title(project)}\n\n{item_body(project, item)}\n\n{status}"
    a = offer.assignment_id
    rows: list[list[InlineKeyboardButton]] = []
    if project.kind == "tagging":
        toggles = [
            _button(
                f"{'☑️' if chosen >> index & 1 else '⬜'} {answer_text(project, answer_id)}",
                WorkToggle(a=a, m=chosen ^ (1 << index)),
            )
            for index, answer_id in enumerate(rules.answers)
        ]
        rows += [toggles[start : start + 2] for start in range(0, len(toggles), 2)]
        count = embed(bin(chosen).count("1"))
        send = _("📨 Send ({count} chosen)").format(count=count)
        rows.append([_button(send, WorkToggle(a=a, m=chosen, submit=True))])
    else:
        texts = [answer_text(project, answer_id) for answer_id in rules.answers]
        buttons = [_button(text, WorkAnswer(a=a, i=index)) for index, text in enumerate(texts)]
        per_row = 5 if all(len(t) <= 3 for t in texts) else 3 if len(texts) <= 3 else 2
        rows += [buttons[start : start + per_row] for start in range(0, len(buttons), per_row)]
    skip = _button(_("⏭ Skip"), WorkPutBack(a=a, r="skip"))
    if project.kind != "verification":
        rows.append([_button(_("🤷 Not sure"), WorkPutBack(a=a, r="unsure")), skip])
    else:
        rows.append([skip])
    rows.append(
        [
            _button(_("⚠️ Report a problem"), WorkPutBack(a=a, r="menu")),
            _button(_("ℹ️ Instructions"), WorkOpen(project=project.id)),
        ]
    )
    markup = InlineKeyboardMarkup(inline_keyboard=rows)
    return Screen(text, markup, await item_photo(session, item))


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    """A button built directly: the keyboard builder copies every button (a cost per card)."""
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def report_screen(offer: Offer) -> Screen:
    a = offer.assignment_id
    builder = InlineKeyboardBuilder()
    builder.button(text=_("❓ Unclear"), callback_data=WorkPutBack(a=a, r="unclear"))
    builder.button(text=_("🖼 Broken image"), callback_data=WorkPutBack(a=a, r="broken"))
    builder.button(text=_("🚫 Offensive"), callback_data=WorkPutBack(a=a, r="offensive"))
    builder.button(text=_("⬅️ Back to the item"), callback_data=WorkNext(project=offer.project.id))
    builder.adjust(1)
    return Screen(_("What is wrong with this item?"), builder.as_markup())


def _nothing_left(project: WorkProject) -> Screen:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⬅️ Work"), callback_data=MenuAction(action="work"))
    builder.button(text=_("🏠 Menu"), callback_data=MenuAction(action="home"))
    builder.adjust(2)
    return Screen(
        _("No item of «{project}» is waiting for you right now. Thank you!").format(
            project=title(project)
        ),
        builder.as_markup(),
    )


async def _next_screen(
    session: AsyncSession,
    member: Member,
    project_id: str,
    library: CourseLibrary,
    clock: Clock,
    continuing: service.Standing | None = None,
    zone: tzinfo = UTC,
) -> Screen:
    """The item the worker holds or a new one; else why there is none."""
    skills = await learned_skills(session, member.id)
    try:
        offer = await service.next_item(
            session,
            member.id,
            project_id,
            skills=skills,
            language=current_locale(),
            clock=clock,
            continuing=continuing,
        )
    except WorkError as error:
        if error.reason == "empty":
            return _nothing_left(await service.project(session, project_id))
        if error.reason == "paused":
            project = await service.project(session, project_id)
            return await project_screen(session, member, project, library)
        return await work_screen(session, member, library)
    return await item_screen(session, member, offer, clock, zone=zone)


@router.message(Command("work"))
async def work_command(
    message: Message, session: AsyncSession, member: Member, library: CourseLibrary
) -> None:
    await present(message, await work_screen(session, member, library), session)


@router.callback_query(WorkOpen.filter())
async def open_project(
    query: CallbackQuery,
    callback_data: WorkOpen,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
) -> None:
    skills = await learned_skills(session, member.id)
    mine = {p.id: p for p in await service.projects_for(session, skills)}
    project = mine.get(callback_data.project)
    if project is None:
        await present(query, await work_screen(session, member, library), session)
        await query.answer(_("This project is not open to you."))
        return
    await present(query, await project_screen(session, member, project, library), session)
    await query.answer()


@router.callback_query(WorkNext.filter())
async def next_item(
    query: CallbackQuery,
    callback_data: WorkNext,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    settings: Settings,
) -> None:
    screen = await _next_screen(
        session, member, callback_data.project, library, clock, zone=zone_of(member, settings)
    )
    await present(query, screen, session)
    await query.answer()


async def _after_answer(
    query: CallbackQuery,
    session: AsyncSession,
    member: Member,
    outcome: AnswerOutcome,
    library: CourseLibrary,
    clock: Clock,
    zone: tzinfo = UTC,
) -> None:
    project = outcome.project
    rules = Rules.of(project)
    notes: list[str] = []
    if outcome.too_fast:
        notes.append(
            _("⚡ That answer came faster than {seconds}, so it is flagged and not paid.").format(
                seconds=seconds_text(_seconds(rules))
            )
        )
    elif outcome.late:
        notes.append(
            _("⌛ The time for that item had run out: the answer is not counted, but it is paid.")
        )
    if outcome.too_fast:
        text = f"{notes[0]}\n\n{_dispute_hint()}"
        await present(query, _disputable(text, outcome.assignment_id, project.id), session)
        await query.answer()
        return
    if outcome.credited_minor:
        notes.append(format_signed_money(outcome.credited_minor, rules.currency))
    if outcome.correct is False and outcome.gold is not None:
        right = format_list(answer_text(project, g) for g in outcome.gold)
        right = right or _("none of the labels")
        lines = [
            _("❌ This was a control item. The right answer: {answer}.").format(answer=right),
        ]
        why = outcome.item.content.get("explanation") or {}
        hints = [
            local(lb["hint"])
            for lb in project.spec.get("labels") or []
            if lb["id"] in outcome.gold and lb.get("hint")
        ]
        if why:
            lines.append(local(why))
        elif hints:
            lines.append("\n".join(hints))
        lines.append(
            _("Your accuracy on control items: {accuracy}.").format(
                accuracy=embed(format_percent(outcome.standing.accuracy))
            )
        )
        if outcome.paused_now:
            lines.append(paused_text(project, outcome.standing, _teaching(project, library)))
        builder = InlineKeyboardBuilder()
        builder.button(text=_("⚖️ Dispute"), callback_data=DisputeOpen(a=outcome.assignment_id))
        if not outcome.paused_now:
            builder.button(text=_("Next ➡️"), callback_data=WorkNext(project=project.id))
        if _teaching(project, library) is not None:
            builder.button(text=_("📖 The lesson"), callback_data=WorkLesson(project=project.id))
        builder.button(text=_("⬅️ Work"), callback_data=MenuAction(action="work"))
        builder.adjust(1)
        await present(query, Screen("\n\n".join(lines), builder.as_markup()), session)
        await query.answer(" ".join(notes)[:190] or None)
        return
    screen = await _next_screen(
        session, member, project.id, library, clock, continuing=outcome.standing, zone=zone
    )
    await present(query, screen, session)
    await query.answer(" ".join(notes)[:190] or _("✅ Saved"))


def _dispute_hint() -> str:
    return _("If you think this is wrong, tap Dispute: a coordinator looks at it again.")


def _disputable(text: str, assignment_id: int, project_id: str) -> Screen:
    """Feedback on an answer that was not paid, with the way to dispute it."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⚖️ Dispute"), callback_data=DisputeOpen(a=assignment_id))
    builder.button(text=_("Next ➡️"), callback_data=WorkNext(project=project_id))
    builder.adjust(2)
    return Screen(text, builder.as_markup())


async def _refuse(
    query: CallbackQuery,
    session: AsyncSession,
    member: Member,
    assignment_id: int,
    error: WorkError,
    library: CourseLibrary,
    clock: Clock,
    zone: tzinfo = UTC,
) -> None:
    """A refused button: say why; for the worker's own assignment, show where they are now."""
    if error.reason in ("not_found", "bad_answer"):
        await query.answer(_("This button is no longer valid."))
        return
    project_id = await service.project_of(session, member.id, assignment_id)
    note = {
        "already": _("That item was already answered."),
        "expired": _("The time for that item ran out and it went to someone else."),
    }.get(error.reason, _("This button is no longer valid."))
    if project_id is not None and await disputes.can_dispute(session, member.id, assignment_id):
        screen = _disputable(f"{note}\n\n{_dispute_hint()}", assignment_id, project_id)
        await present(query, screen, session)
        await query.answer()
        return
    if project_id is not None:
        await present(
            query,
            await _next_screen(session, member, project_id, library, clock, zone=zone),
            session,
        )
    await query.answer(note)


@router.callback_query(WorkAnswer.filter())
async def answer_item(
    query: CallbackQuery,
    callback_data: WorkAnswer,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    settings: Settings,
) -> None:
    try:
        outcome = await service.answer(
            session, member.id, callback_data.a, indexes=[callback_data.i], clock=clock
        )
    except WorkError as error:
        await _refuse(
            query,
            session,
            member,
            callback_data.a,
            error,
            library,
            clock,
            zone_of(member, settings),
        )
        return
    await _after_answer(query, session, member, outcome, library, clock, zone_of(member, settings))


@router.callback_query(WorkToggle.filter())
async def toggle_tag(
    query: CallbackQuery,
    callback_data: WorkToggle,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    settings: Settings,
) -> None:
    chosen = [index for index in range(64) if callback_data.m >> index & 1]
    try:
        if not 0 <= callback_data.m < 1 << 64:
            raise WorkError("bad_answer")
        if callback_data.submit:
            outcome = await service.answer(
                session, member.id, callback_data.a, indexes=chosen, clock=clock
            )
        else:
            offer = await service.offer_of(session, member.id, callback_data.a, clock=clock)
            if callback_data.m >= 1 << len(Rules.of(offer.project).answers):
                raise WorkError("bad_answer")
            screen = await item_screen(
                session,
                member,
                offer,
                clock,
                chosen=callback_data.m,
                zone=zone_of(member, settings),
            )
            await present(query, screen, session)
            await query.answer()
            return
    except WorkError as error:
        await _refuse(
            query,
            session,
            member,
            callback_data.a,
            error,
            library,
            clock,
            zone_of(member, settings),
        )
        return
    await _after_answer(query, session, member, outcome, library, clock, zone_of(member, settings))


@router.callback_query(WorkPutBack.filter())
async def put_back(
    query: CallbackQuery,
    callback_data: WorkPutBack,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    settings: Settings,
) -> None:
    try:
        if callback_data.r == "menu":
            offer = await service.offer_of(session, member.id, callback_data.a, clock=clock)
            await present(query, report_screen(offer), session)
            await query.answer()
            return
        lease = await service.put_back(
            session, member.id, callback_data.a, callback_data.r, clock=clock
        )
    except WorkError as error:
        await _refuse(
            query,
            session,
            member,
            callback_data.a,
            error,
            library,
            clock,
            zone_of(member, settings),
        )
        return
    note = (
        _("Thank you: the item is reported.")
        if lease.report_reason in service.REPORT_REASONS
        else _("Skipped.")
    )
    await present(
        query,
        await _next_screen(
            session, member, lease.project_id, library, clock, zone=zone_of(member, settings)
        ),
        session,
    )
    await query.answer(note)


@router.callback_query(WorkLesson.filter())
async def lesson(
    query: CallbackQuery,
    callback_data: WorkLesson,
    session: AsyncSession,
    library: CourseLibrary,
) -> None:
    project = await session.get(WorkProject, callback_data.project)
    teaches = (project.spec.get("teaches") or {}) if project else {}
    course = library.get(teaches.get("course", ""))
    found = course and next((x for x in course.lessons if x.id == teaches.get("lesson")), None)
    if project is None or course is None or not found:
        await query.answer(_("This button is no longer valid."))
        return
    pages = "\n\n".join(local(page.text) for page in found.pages)
    text = f"📖 {local(found.title)}\n\n{pages}"
    if len(text) > 3500:
        text = text[:3500].rsplit("\n", 1)[0] + "\n…"
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⬅️ Back to the work"), callback_data=WorkNext(project=project.id))
    builder.button(text=f"📘 {local(course.title)}", callback_data=OpenCourse(course=course.id))
    builder.adjust(1)
    await present(query, Screen(text, builder.as_markup()), session)
    await query.answer()
