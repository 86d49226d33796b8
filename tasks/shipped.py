"""The projects that ship with the repository (tasks/projects/), loaded into a database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from tasks.catalog import DEFAULT_PROJECTS_DIR
from tasks.importer import ImportSummary, apply_import, plan_import
from tasks.models import WorkProject
from tasks.spec import load_spec


async def load_shipped_projects(
    session: AsyncSession,
    now: datetime,
    root: Path = DEFAULT_PROJECTS_DIR,
    say: Callable[[str], None] | None = None,
) -> list[ImportSummary]:
    """Import every shipped project that is missing or whose spec changed (the caller commits).

    A project already loaded with the same spec is left alone, so a restart costs one read.
    """
    summaries = []
    for spec_file in await asyncio.to_thread(lambda: sorted(root.glob("*/project.yaml"))):
        spec = await asyncio.to_thread(load_spec, spec_file)
        stored = await session.get(WorkProject, spec.id)
        if stored is not None and stored.spec_digest == spec.digest():
            continue
        if say is not None:
            say(f"Loading the demo project {spec.id}...")
        plan = await asyncio.to_thread(plan_import, spec_file.parent)
        summaries.append(await apply_import(session, plan, now))
    return summaries
