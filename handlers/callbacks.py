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
