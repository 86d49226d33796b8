"""Imports every table module so SQLModel.metadata knows the whole schema (for Alembic)."""

import bot.fsm_storage
import bot.inbox  # noqa: F401
import core.media
import core.outbox  # noqa: F401
import courses.models  # noqa: F401
import outreach.models  # noqa: F401
import people.models  # noqa: F401
import tasks.disputes
import tasks.models
import tasks.payout_models  # noqa: F401
