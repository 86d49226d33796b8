"""Callback data: short prefixes, typed fields. Clients can send any bytes: handlers re-check."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class PickLanguage(CallbackData, prefix="lg"):
    locale: str
    invite: str = ""


class Consent(CallbackData, prefix="cs"):
    locale: str
    accept: bool
    invite: str = ""


class MenuAction(CallbackData, prefix="m"):
    action: str


class ChangeLanguage(CallbackData, prefix="sl"):
    locale: str


class CohortAction(CallbackData, prefix="co"):
    action: str
    cohort_id: int


class OpenCourse(CallbackData, prefix="lc"):
    course: str


class TurnPage(CallbackData, prefix="lp"):
    course: str
    seen: int
    to: int


class StartQuiz(CallbackData, prefix="lq"):
    course: str


class PickOption(CallbackData, prefix="la"):
    course: str
    attempt: int
    question: int
    option: str


class QuizContinue(CallbackData, prefix="lx"):
    course: str


class GetCertificate(CallbackData, prefix="lz"):
    course: str


class StartPractice(CallbackData, prefix="pg"):
    course: str


class ItemAnswer(CallbackData, prefix="ia"):
    """An answer on an item card: practice items now, paid work items later (`kind`)."""

    kind: str
    ref: str
    item: int
    label: str


class PracticeNext(CallbackData, prefix="pn"):
    course: str
