"""Imports every table module so SQLModel.metadata knows the whole schema (for Alembic)."""

import bot.models  # noqa: F401
