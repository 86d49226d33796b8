"""Imports every table module so SQLModel.metadata knows the whole schema (for Alembic)."""

import bot.media
import bot.models  # noqa: F401
import courses.models  # noqa: F401
import tasks.models  # noqa: F401
