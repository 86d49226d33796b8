"""Imports every table module so SQLModel.metadata knows the whole schema (for Alembic)."""

import tasks.disputes
import tasks.models
import tasks.payout_models  # noqa: F401
