"""`python -m bot payouts run | list | confirm`: the payout run and finance's confirmations."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import tzinfo
from typing import TYPE_CHECKING

from bot.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def _operator(given: str | None) -> str:
    if given:
        return given.strip()[:60]
    try:
        return f"cli:{getpass.getuser()}"[:60]
    except (KeyError, OSError):
        return "cli"


async def payouts_command(settings: Settings, args: argparse.Namespace) -> int:
    import bot.schema  # noqa: F401 - every table a payout refers to
    from core import clock, crypto, db
    from tasks.payouts import parse_period

    period = getattr(args, "period", None)
    if period is not None and parse_period(period) is None:
        print(f"Not a week: {period}; write it as YYYY-Www, e.g. 2026-W48", file=sys.stderr)
        return 2
    period = parse_period(period) if period else None
    await db.upgrade(settings.database_url)
    crypto.configure(settings.encryption_key_list() or [crypto.local_key()])
    engine = db.create_engine(settings.database_url)
    try:
        sessions = db.session_factory(engine)
        if args.payouts_command == "run":
            from bot.payout_job import run_payout_job

            result = await run_payout_job(
                sessions,
                db.write_gate(settings.database_url),
                clock.SystemClock(),
                settings,
                period=period,
                out_dir=args.out,
                actor=_operator(args.by),
            )
            report = result.report
            print(
                f"Period {report.period}: {len(report.created)} new payouts, "
                f"{report.already} made before, {report.below_minimum} below the minimum, "
                f"{report.no_method} without a payout method."
            )
            print(
                f"Batch for finance: {result.batch} ({result.in_batch} payouts). It holds the "
                "full payout details: readable by its owner only (0600); keep it that way."
            )
            return 0
        async with sessions() as session:
            if args.payouts_command == "list":
                if period is None and args.state is None:
                    return await _batches(session)
                return await _list(session, period, args.state)
            if period is not None:
                return await _confirm_batch(session, args, period, settings.zone)
            return await _confirm(session, args, settings.zone)
    finally:
        await engine.dispose()


async def _batches(session: AsyncSession) -> int:
    from core.i18n import format_money
    from tasks.payout_batches import batches

    found = await batches(session, None, limit=52)
    print("period\tcurrency\tpayouts\ttotal\ton its way\tpaid\tfailed")
    for b in found:
        total = format_money(b.total_minor, b.currency, "en")
        print(f"{b.period}\t{b.currency}\t{b.count}\t{total}\t{b.in_payout}\t{b.paid}\t{b.failed}")
    print(f"{len(found)} batches. `payouts list --period YYYY-Www` lists one batch's payouts.")
    return 0


async def _confirm_batch(
    session: AsyncSession, args: argparse.Namespace, period: str, zone: tzinfo
) -> int:
    from bot.progress_bar import ProgressBar
    from core import clock
    from tasks.payout_batches import batch, confirm_batch

    currency = args.currency.upper() if args.currency else None
    if args.payout_ids:
        print("Give payout ids or --period, not both.", file=sys.stderr)
        return 2
    if args.failed is not None and not args.failed.strip():
        print("A failure needs its reason: --failed REASON.", file=sys.stderr)
        return 2
    currencies = [currency] if currency else await _currencies(session, period)
    summaries = [found for c in currencies if (found := await batch(session, period, c, None))]
    waiting = sum(found.in_payout for found in summaries)
    if not summaries:
        print(
            f"No payouts in {period}" + (f" in {currency}" if currency else "") + ".",
            file=sys.stderr,
        )
        return 1
    if waiting == 0:
        print(
            f"Nothing left to confirm in {period}: every payout is paid or failed already.",
            file=sys.stderr,
        )
        return 1
    progress = ProgressBar(period, "payouts")
    try:
        outcome = await confirm_batch(
            session,
            period,
            currency,
            None,
            clock.SystemClock().now(),
            paid=bool(args.paid),
            reason=args.failed,
            actor=_operator(args.by),
            zone=zone,
            progress=progress,
        )
    finally:
        progress.end()
    await session.commit()  # a command is its own boundary
    state = "paid" if args.paid else "failed"
    moved, skipped = len(outcome.moved), outcome.skipped
    print(f"{period}: {moved} payouts marked {state}; {skipped} changed meanwhile by someone else.")
    return 0


async def _currencies(session: AsyncSession, period: str) -> list[str]:
    from sqlalchemy import select

    from tasks.payout_models import Payout

    found = await session.execute(
        select(Payout.currency).where(Payout.period == period).distinct().order_by(Payout.currency)
    )
    return list(found.scalars())


async def _list(session: AsyncSession, period: str | None, state: str | None) -> int:
    from core.i18n import format_money
    from core.pseudonym import pseudonym
    from tasks.payout_methods import mask
    from tasks.payouts import payouts_of

    found = await payouts_of(session, period=period, state=state)
    for payout in found:
        worker = pseudonym(payout.user_id) if payout.user_id is not None else "(erased)"
        line = (
            f"{payout.id}\t{payout.period}\t{worker}\t"
            f"{format_money(payout.amount_minor, payout.currency, 'en')}\t{payout.method_kind} "
            f"{mask(payout.method_kind, payout.details)}\t{payout.state}"
        )
        print(line + (f"\t{payout.reason}" if payout.reason else ""))
    print(f"{len(found)} payouts.")
    return 0


async def _confirm(session: AsyncSession, args: argparse.Namespace, zone: tzinfo) -> int:
    from core import clock
    from tasks.payouts import PayoutError, confirm

    if not args.payout_ids:
        print(
            "Name the payouts (PAYOUT_ID ...) or a whole week (--period YYYY-Www).",
            file=sys.stderr,
        )
        return 2
    paid = bool(args.paid)
    actor = _operator(args.by)
    now = clock.SystemClock().now()
    refused = 0
    for payout_id in args.payout_ids:
        try:
            async with session.begin_nested():
                payout = await confirm(
                    session,
                    payout_id,
                    now,
                    paid=paid,
                    reason=args.failed,
                    actor=actor,
                    zone=zone,
                )
        except PayoutError as error:
            refused += 1
            why = {
                "unknown": "no such payout",
                "not_in_payout": "it was marked paid or failed already",
                "no_reason": "a failure needs its reason",
            }[error.reason]
            print(f"Payout {payout_id}: not changed, {why}.", file=sys.stderr)
            continue
        print(f"Payout {payout.id}: {payout.state}.")
    await session.commit()  # a command is its own boundary
    return 1 if refused else 0
