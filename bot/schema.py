"""Imports every table module so SQLModel.metadata knows the whole schema (for Alembic)."""

import courses.models  # noqa: F401
import people.models  # noqa: F401
import tasks.models  # noqa: F401
