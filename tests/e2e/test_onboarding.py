"""First contact, languages, invites and roles, driven through the stand-in as a user would."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.app import Runtime
from people.models import Cohort, Invite, User
from standin.server import StandIn
from tests.e2e.conftest import LANGUAGE_BUTTONS, TELEGRAM_CODES, Onboard, t

CONSENT = (
    "Before we start, please read what Rafiq stores and why.\n\n"
    "We store your Telegram id, the language you choose, the group you joined, your course "
    "progress, your quiz answers, your practice answers, your skills, your work answers and your "
    "disputes of them, your accuracy on control items, the training pay and work pay you earn, "
    "your payout method (encrypted) and your payouts, your time zone and reminder settings, the "
    "name you give for certificates "
    "(encrypted) and your certificates. We also keep the messages you send the bot until they are "
    "handled, the messages the bot is due to send you, whether you blocked the bot, a question the "
    "bot is waiting for you to answer, and, if you become a coordinator, the invite links you "
    "create, the announcements you send, the items you settle and a record of your actions. We use "
    "this to show you your courses, tasks and earnings, to pay you and to issue your "
    "certificates.\n\n"
    "We do not store your contacts or your location, nor your phone number unless you give it as "
    "your payout method. Your coordinator at your partner organisation can see your progress, "
    "your disputes and your payouts.\n\n"
    "Send /mydata at any time for a copy of all of it, and /deleteme to erase it. Payment records "
    "and the labels you gave are kept without your name, because accounting and the customers' "
    "data need them.\n\n"
    "Do you agree?"
)
MENU = "Main menu. What would you like to do?"


async def _count(runtime: Runtime, model: type) -> int:
    async with runtime.sessions() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


@pytest.mark.parametrize("locale", ["ar", "fa_AF", "uk", "en"])
async def test_first_start_shows_consent_then_menu_in_that_language(
    standin: StandIn, polling: object, runtime: Runtime, locale: str
) -> None:
    user = standin.user(10, first_name="Amina", language_code=TELEGRAM_CODES[locale])
    await user.send("/start")
    assert user.last.labels == ["العربية", "دری", "Українська", "English"]
    assert t(locale, "Welcome to Rafiq! Please choose your language.") in user.last.text
    assert await _count(runtime, User) == 0

    await user.press(LANGUAGE_BUTTONS[locale])
    assert user.last.text == t(locale, CONSENT)
    assert await _count(runtime, User) == 0  # nothing stored before consent

    await user.press(t(locale, "✅ I agree"))
    assert user.last.text == t(locale, MENU)
    assert user.last.labels == [
        t(locale, label) for label in ("📚 Learn", "🛠 Work", "💰 Earnings", "⚙️ Settings", "❓ Help")
    ]
    if locale != "en":
        assert user.last.text != MENU
    async with runtime.sessions() as session:
        stored = await session.get(User, 10)
    assert stored is not None and stored.locale == locale and stored.cohort_id is None
    assert standin.unanswered_callback_queries() == []


async def test_declining_stores_nothing(
    standin: StandIn, polling: object, runtime: Runtime
) -> None:
    user = standin.user(11, language_code="uk")
    await user.send("/start")
    await user.press("Українська")
    await user.press(t("uk", "No, thanks"))
    assert user.last.text.startswith(
        t(
            "uk",
            "Understood. Nothing about you has been stored. Send /start if you change your mind.",
        )[:20]
    )
    assert await _count(runtime, User) == 0


async def test_users_choice_wins_over_telegram_language(
    standin: StandIn, polling: object, runtime: Runtime
) -> None:
    user = standin.user(12, language_code="ar")
    await user.send("/start")
    await user.press("Українська")
    await user.press(t("uk", "✅ I agree"))
    await user.send("/help")
    assert user.last.text.startswith(
        t("uk", "Rafiq helps you learn data-annotation work and do paid tasks from your phone.")
    )


async def test_language_can_be_changed(onboard: Onboard, runtime: Runtime) -> None:
    user = await onboard(13, "en")
    await user.send("/language")
    await user.press("دری")
    assert user.last.text == t("fa_AF", "Main menu. What would you like to do?")
    async with runtime.sessions() as session:
        assert (await session.get(User, 13)).locale == "fa_AF"


@pytest.mark.parametrize(("code", "locale"), [("fa", "fa_AF"), ("prs", "fa_AF"), ("ar-IQ", "ar")])
async def test_unknown_invite_gets_a_clear_answer_in_mapped_language(
    standin: StandIn, polling: object, runtime: Runtime, code: str, locale: str
) -> None:
    user = standin.user(14, language_code=code)
    events = await user.send("/start nosuchcode")
    texts = [e.message.text for e in events if e.kind == "message"]
    assert texts[0] == t(
        locale,
        "This invite link is not valid. Check that you opened the whole "
        "link, or ask your coordinator for a new one.",
    )
    await user.press(LANGUAGE_BUTTONS[locale])
    await user.press(t(locale, "✅ I agree"))
    async with runtime.sessions() as session:
        assert (await session.get(User, 14)).cohort_id is None


async def _make_coordinator(standin: StandIn, onboard: Onboard, runtime: Runtime):
    admin = await onboard(900, "en", name="Admin")  # ADMIN_IDS=900 in the test settings
    await admin.send("/org_new Hope NGO")
    assert admin.last.text == "Organisation Hope NGO created."
    coordinator = await onboard(20, "ar", name="Layla")
    await admin.send("/coordinator_add 20 Hope NGO")
    assert admin.last.text == "User 20 is now a coordinator of Hope NGO."
    return coordinator


async def test_invite_link_binds_a_new_user_to_the_right_cohort(
    standin: StandIn, onboard: Onboard, runtime: Runtime
) -> None:
    coordinator = await _make_coordinator(standin, onboard, runtime)
    await coordinator.send("/cohort_new Beirut A")
    await coordinator.send("/cohort_new Beirut B")
    link = coordinator.last.text.split("\n")[-1].strip("\u2068\u2069")
    assert link.startswith("https://t.me/rafiq_sandbox_bot?start=")
    code = link.split("start=")[1]

    trainee = await onboard(30, "fa_AF", code=code)
    joined = t("fa_AF", "You joined the group {cohort} of {organisation}.").format(
        cohort="\u2068Beirut B\u2069", organisation="\u2068Hope NGO\u2069"
    )
    assert trainee.last.text.startswith(joined)
    async with runtime.sessions() as session:
        user = await session.get(User, 30)
        cohort = await session.get(Cohort, user.cohort_id)
        assert cohort.name == "Beirut B"
        assert (await session.get(Invite, code)).uses == 1

    await coordinator.send("/cohorts")
    lines = coordinator.last.text.split("\n")
    assert "👥 \u2068Beirut A\u2069: لا أعضاء" in lines
    assert "👥 \u2068Beirut B\u2069: عضو واحد" in lines


async def test_coordinator_commands_are_refused_for_members(
    standin: StandIn, onboard: Onboard, runtime: Runtime
) -> None:
    coordinator = await _make_coordinator(standin, onboard, runtime)
    await coordinator.send("/cohort_new Kabul 1")
    await coordinator.send("/cohorts")
    cohort_screen = coordinator.last
    invite_data = cohort_screen.buttons[0][0].callback_data
    invites_before = await _count(runtime, Invite)

    member = await onboard(31, "en")
    await member.send("/cohort_new Mine")
    assert member.last.text == "I did not understand that. Send /help to see what I can do."
    await member.send("/progress")
    await member.send("/org_new Fake NGO")
    await member.send("/coordinator_add 31 Hope NGO")
    events = await member.press_data(invite_data, member.last.message_id)
    answers = [e for e in events if e.kind == "callback_answer"]
    assert answers and answers[0].text == "This button is no longer valid."
    assert await _count(runtime, Cohort) == 1
    assert await _count(runtime, Invite) == invites_before
    async with runtime.sessions() as session:
        assert (await session.get(User, 31)).role == "member"


async def test_coordinator_commands_are_shown_only_to_coordinators(
    standin: StandIn, onboard: Onboard, runtime: Runtime
) -> None:
    await _make_coordinator(standin, onboard, runtime)
    calls = [params for method, params in standin.calls if method.lower() == "setmycommands"]
    default = [c for c in calls if "chat" not in str(c.get("scope", ""))]
    personal = [
        c
        for c in calls
        if '"chat_id": 20' in str(c.get("scope", "")).replace("'", '"')
        or "20" in str(c.get("scope", ""))
    ]
    assert default and all("cohort_new" not in str(c["commands"]) for c in default)
    assert personal and "cohort_new" in str(personal[-1]["commands"])
    admin = [c for c in calls if "900" in str(c.get("scope", ""))]
    assert admin and "org_new" in str(admin[-1]["commands"])
