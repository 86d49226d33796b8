"""Trust, end to end: roles follow ADMIN_IDS across a restart, coordinator and admin commands
take any argument safely, invites expire, run out and are withdrawn, admins read the audit log."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.app import PollingBot, Runtime
from bot.settings import load_settings
from core.bidi import BIDI_CONTROLS
from core.clock import ManualClock
from courses.models import Certificate
from people.models import AuditEntry, Invite, Organisation, User
from standin.client import SimUser
from tests.e2e.conftest import Onboard, t
from tests.e2e.test_learning import answer_quiz, open_course, read_every_page

NOT_UNDERSTOOD = "I did not understand that. Send /help to see what I can do."


async def _coordinator(onboard: Onboard, locale: str = "en") -> tuple[SimUser, SimUser]:
    admin = await onboard(900, "en", name="Admin")  # ADMIN_IDS=900 in the test settings
    await admin.send("/org_new Hope NGO")
    coordinator = await onboard(20, locale, name="Layla")
    await admin.send("/coordinator_add 20 Hope NGO")
    return admin, coordinator


def _code(text: str) -> str:
    return text.split("start=")[1].strip()


async def _count(runtime: Runtime, model: type, *where: object) -> int:
    async with runtime.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def test_an_admin_removed_from_admin_ids_loses_the_role_at_restart_defect_2(
    onboard: Onboard, runtime: Runtime, polling: PollingBot
) -> None:
    admin, _ = await _coordinator(onboard)
    await admin.send("/org_new Second NGO")
    assert admin.last.text == "Organisation Second NGO created."

    runtime.settings = load_settings(
        database_url=runtime.settings.database_url, admin_ids="", _env_file=None
    )
    await polling.restart()
    await admin.send("/org_new Third NGO")
    assert admin.last.text == NOT_UNDERSTOOD
    await admin.send("/coordinator_add 900 Hope NGO")
    assert admin.last.text == NOT_UNDERSTOOD
    await admin.send("/audit")
    assert admin.last.text == NOT_UNDERSTOOD
    assert await _count(runtime, Organisation) == 2
    async with runtime.sessions() as session:
        assert (await session.get(User, 900)).role == "member"
        synced = (
            (
                await session.execute(
                    select(AuditEntry.detail).where(
                        AuditEntry.action == "role_sync", AuditEntry.object == "user:900"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert synced == ["member->admin", "admin->member"]  # at consent, then at the restart

    runtime.settings = load_settings(
        database_url=runtime.settings.database_url, admin_ids="900", _env_file=None
    )
    await polling.restart()
    await admin.send("/org_new Third NGO")
    assert admin.last.text == "Organisation Third NGO created."


async def test_a_4000_character_argument_gets_a_short_reply_defect_4(
    onboard: Onboard, runtime: Runtime
) -> None:
    admin = await onboard(900, "en", name="Admin")
    await admin.send("/org_new " + "Hope " * 800)
    reply = admin.last.text
    assert len(reply) < 300
    assert reply.startswith("Organisation Hope Hope")
    assert reply.endswith("The name was too long, so I shortened it to 100 characters.")
    async with runtime.sessions() as session:
        [name] = (await session.execute(select(Organisation.name))).scalars().all()
    assert name == ("Hope " * 20).strip()

    await admin.send("/coordinator_add 900 " + "\u202eX" * 2000)
    reply = admin.last.text
    assert len(reply) < 300 and reply.startswith("There is no organisation called")
    assert not set(reply) & (BIDI_CONTROLS - {"\u2068", "\u2069"})
    await admin.send("/org_new \u200b\u3164")
    assert admin.last.text == (
        "That name has no letters anyone could see. Please write it with letters."
    )


async def test_coordinator_add_parses_the_id_strictly_defect_5(
    onboard: Onboard, runtime: Runtime
) -> None:
    admin = await onboard(900, "en", name="Admin")
    await admin.send("/org_new Hope NGO")
    await onboard(20, "fa_AF", name="Layla")
    for bad in ("²", "2²", "-20", "٢٠٫٥"):
        await admin.send(f"/coordinator_add {bad} Hope NGO")
        assert admin.last.text == "Use it like this: /coordinator_add USER_ID ORGANISATION"
    await admin.send("/coordinator_add ۲۰ hope ngo")  # Persian digits, any case
    assert admin.last.text == "User 20 is now a coordinator of hope ngo."
    async with runtime.sessions() as session:
        assert (await session.get(User, 20)).role == "coordinator"


async def test_invite_finds_the_group_by_its_cleaned_name_and_takes_a_limit_defect_6(
    onboard: Onboard, runtime: Runtime
) -> None:
    _, coordinator = await _coordinator(onboard)
    await coordinator.send("/cohort_new Team  Alpha")
    assert coordinator.last.text.startswith("Group Team Alpha created.")
    await coordinator.send("/invite \u202eteam alpha\u202c 2")
    reply = coordinator.last.text
    assert reply.startswith("Invite link for the group Team Alpha:")
    assert "It lets 2 people join." in reply
    assert "It works until" in reply
    assert not set(reply) & BIDI_CONTROLS - {"\u2066", "\u2068", "\u2069"}
    code = _code(reply)
    async with runtime.sessions() as session:
        invite = await session.get(Invite, code)
    assert invite.max_uses == 2
    assert invite.expires_at == runtime.clock.now() + timedelta(days=14)

    await coordinator.send("/invite Team Beta")
    assert coordinator.last.text.startswith("You have no group called Team Beta.")
    await coordinator.send("/invite Team Alpha ²")
    assert coordinator.last.text == "You have no group called Team Alpha ²."


async def test_an_invisible_certificate_name_is_refused_kindly_defect_3(
    onboard: Onboard, runtime: Runtime
) -> None:
    course = runtime.library.get("working-on-platform")
    user = await onboard(109, "en")
    await open_course(user, course, "en")
    await read_every_page(user, course, "en")
    await answer_quiz(user, course, "en")
    await user.press("🎓 My certificate")
    events = await user.send("\u200b\u3164\u200b")
    texts = [e.message.text for e in events if e.kind == "message"]
    assert texts[0] == t(
        "en",
        "I could not find any letters in that name, so a certificate would show nothing. "
        "Please send your name written with letters.",
    )
    assert texts[1].startswith("✍️")
    assert await _count(runtime, Certificate, Certificate.user_id == 109) == 0
    await user.send("Yusuf Rahimi")
    await user.press("✅ Yes")
    assert await _count(runtime, Certificate, Certificate.user_id == 109) == 1


async def test_expired_used_up_and_withdrawn_links_join_nobody_defect_1(
    onboard: Onboard, runtime: Runtime, clock: ManualClock
) -> None:
    _, coordinator = await _coordinator(onboard)
    await coordinator.send("/cohort_new Lviv")
    expiring = _code(coordinator.last.text)
    await coordinator.send("/invite Lviv 1")
    single = _code(coordinator.last.text)
    await coordinator.send("/invite Lviv")
    withdrawn = _code(coordinator.last.text)
    await coordinator.send(f"/invite_revoke https://t.me/rafiq_bot?start={withdrawn}")
    assert coordinator.last.text == (
        f"The invite \u2066{withdrawn}\u2069 for the group Lviv no longer works. "
        "People who already joined stay in the group."
    )

    first = await onboard(40, "en", code=single)
    assert "You joined the group Lviv of Hope NGO." in first.messages[-1].text
    second = await onboard(41, "uk", code=single)
    third = await onboard(42, "ar", code=withdrawn)
    clock.advance(timedelta(days=15))
    fourth = await onboard(43, "fa_AF", code=expiring)
    for user, locale in ((second, "uk"), (third, "ar"), (fourth, "fa_AF")):
        assert user.last.text.startswith(t(locale, "Main menu. What would you like to do?"))
    async with runtime.sessions() as session:
        cohorts = {uid: (await session.get(User, uid)).cohort_id for uid in (40, 41, 42, 43)}
        uses = {c: (await session.get(Invite, c)).uses for c in (expiring, single, withdrawn)}
    assert list(cohorts.values()).count(None) == 3 and cohorts[40] is not None
    assert uses == {expiring: 0, single: 1, withdrawn: 0}


async def test_admins_read_the_audit_log_coordinators_cannot(
    onboard: Onboard, runtime: Runtime
) -> None:
    admin, coordinator = await _coordinator(onboard)
    await coordinator.send("/cohort_new Lviv")
    code = _code(coordinator.last.text)
    await coordinator.send(f"/invite_revoke {code}")
    await coordinator.send("/audit")
    assert coordinator.last.text == NOT_UNDERSTOOD
    await admin.send("/audit")
    lines = admin.last.text.split("\n")
    assert lines[0] == "Audit log, newest first:"
    assert "invite_revoke" in lines[1] and f"invite:{code}" in lines[1] and "20" in lines[1]
    assert "Lviv" not in admin.last.text and "Hope" not in admin.last.text
    actions = [line.split(" · ")[3].strip("\u2066\u2069") for line in lines[1:]]
    assert actions == [
        "invite_revoke",
        "invite_new",
        "cohort_new",
        "coordinator_add",
        "org_new",
        "role_sync",
    ]
    assert "22/11/2026" in lines[1] or "11/22/26" in lines[1]


async def test_a_link_that_no_longer_works_says_why_in_the_users_language(
    onboard: Onboard, runtime: Runtime, clock: ManualClock, standin: object
) -> None:
    _, coordinator = await _coordinator(onboard)
    await coordinator.send("/cohort_new Lviv")
    code = _code(coordinator.last.text)
    clock.advance(timedelta(days=15))
    user = standin.user(43, language_code="uk")  # type: ignore[attr-defined]
    events = await user.send(f"/start {code}")
    texts = [e.message.text for e in events if e.kind == "message"]
    assert texts[0] == t(
        "uk",
        "This invite link has expired. You can still use Rafiq; ask your coordinator for a "
        "new link to join your group.",
    )
    member = await onboard(44, "en")
    await member.send(f"/start {code}")
    assert member.messages[-2].text.startswith("This invite link has expired.")
