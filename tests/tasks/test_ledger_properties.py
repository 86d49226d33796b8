"""A hypothesis state machine drives random credits (answers, practice, bonuses, adjustments),
redeliveries, acceptances, releases (twice in a row too), payout runs (twice in a row too),
payouts confirmed paid or failed, and time, on a migrated SQLite copy, and checks the ledger's
books after every step."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select, text

from core import db
from core.clock import ManualClock
from tasks import ledger
from tasks.ledger import LedgerError
from tasks.models import CREDIT_KINDS, LedgerEntry
from tasks.payout_models import Payout, PayoutState
from tasks.payouts import PayoutError, PayoutTerms, confirm, run_payouts

WORKERS = (1, 2, 3)
AUTHOR = 9
CURRENCIES = ("USD", "AFN")
workers = st.sampled_from(WORKERS)
currencies = st.sampled_from(CURRENCIES)
amounts = st.integers(min_value=1, max_value=500)
TERMS = PayoutTerms(minimum={"USD": 100})  # AFN: any amount


class Books(RuleBasedStateMachine):
    """The model: every source credited, with its worker, kind, currency and signed amount."""

    template: Path

    sources = Bundle("sources")

    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="ledger-"))
        path = self.directory / "books.sqlite3"
        shutil.copy(self.template, path)
        self.loop = asyncio.new_event_loop()
        self.engine = db.create_engine(f"sqlite+aiosqlite:///{path}")
        self.sessions = db.session_factory(self.engine)
        self.clock = ManualClock()
        self.credited: dict[tuple[str, str], tuple[int, str, int]] = {}
        self.serial = 0
        self.run(self._people())

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    async def _people(self) -> None:
        async with self.sessions() as session:
            for user_id in (*WORKERS, AUTHOR):
                await session.execute(
                    text(
                        "INSERT INTO users (id, locale, role, consented_at) "
                        "VALUES (:id, 'en', 'member', :now)"
                    ),
                    {"id": user_id, "now": self.clock.now().replace(tzinfo=None)},
                )
            for user_id in WORKERS[:2]:  # the third worker has no payout method
                await session.execute(
                    text(
                        "INSERT INTO payout_methods (user_id, kind, updated_at) "
                        "VALUES (:id, 'cash', :now)"
                    ),
                    {"id": user_id, "now": self.clock.now().replace(tzinfo=None)},
                )
            await session.commit()

    def teardown(self) -> None:
        self.run(self.engine.dispose())
        self.loop.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _source(self, kind: str) -> str:
        self.serial += 1
        prefix = {"answer": "work-answer", "practice": "practice-answer"}.get(kind, kind)
        return f"{prefix}:{self.serial}"

    async def _credit(self, **values: Any) -> LedgerEntry | None:
        async with self.sessions() as session:
            entry = await ledger.credit_once(session, **values)
            await session.commit()
            return entry

    def _record(self, kind: str, key: str, worker: int, currency: str, amount: int) -> None:
        self.credited[(kind, key)] = (worker, currency, amount)

    @rule(
        target=sources,
        kind=st.sampled_from(("answer", "practice", "bonus", "top_up")),
        worker=workers,
        currency=currencies,
        amount=amounts,
        window_hours=st.sampled_from((0, 1, 72)),
    )
    def credit(
        self, kind: str, worker: int, currency: str, amount: int, window_hours: int
    ) -> tuple[str, str]:
        key = self._source(kind)
        now = self.clock.now()
        entry = self.run(
            self._credit(
                user_id=worker,
                kind=kind,
                source_key=key,
                amount_minor=amount,
                currency=currency,
                now=now,
                release_at=now + timedelta(hours=window_hours) if kind == "answer" else None,
            )
        )
        assert entry is not None
        self._record(kind, key, worker, currency, amount)
        return kind, key

    @rule(source=sources, amount=amounts, worker=workers)
    def credit_the_same_source_again(
        self, source: tuple[str, str], amount: int, worker: int
    ) -> None:
        kind, key = source
        again = self.run(
            self._credit(
                user_id=worker,
                kind=kind,
                source_key=key,
                amount_minor=amount,
                currency="USD",
                now=self.clock.now(),
            )
        )
        assert again is None  # a double tap or a redelivery credits nothing

    async def _adjust(self, **values: Any) -> LedgerEntry | None:
        async with self.sessions() as session:
            entry = await ledger.adjust(session, **values)
            await session.commit()
            return entry

    @rule(
        worker=workers,
        currency=currencies,
        amount=st.integers(min_value=-400, max_value=400).filter(bool),
    )
    def adjust(self, worker: int, currency: str, amount: int) -> None:
        key = self._source("adjustment")
        before = self.run(self._balances(worker)).get(currency, ledger.Balance())
        try:
            entry = self.run(
                self._adjust(
                    user_id=worker,
                    amount_minor=amount,
                    currency=currency,
                    source_key=key,
                    reason="a correction",
                    author_id=AUTHOR,
                    now=self.clock.now(),
                )
            )
        except LedgerError as refused:
            assert refused.reason == "insufficient" and before.available < -amount
            return
        assert entry is not None
        self._record("adjustment", key, worker, currency, amount)

    @rule(hours=st.sampled_from((0, 1, 24, 71, 72, 100)))
    def time_passes(self, hours: int) -> None:
        self.clock.advance(timedelta(hours=hours))

    async def _release_twice(self) -> tuple[int, int]:
        async with self.sessions() as session:
            first = await ledger.release_due(session, self.clock.now())
            await session.commit()
        async with self.sessions() as session:
            second = await ledger.release_due(session, self.clock.now())
            await session.commit()
        return first, second

    @rule()
    def release_twice(self) -> None:
        _first, second = self.run(self._release_twice())
        assert second == 0

    async def _accept(self, kind: str, key: str) -> None:
        async with self.sessions() as session:
            found = (
                await session.execute(
                    select(LedgerEntry).where(
                        LedgerEntry.kind == kind, LedgerEntry.source_key == key
                    )
                )
            ).scalar_one()
            if found.to_account == ledger.PENDING:
                await ledger.accept(session, found.id, self.clock.now())
                assert await ledger.accept(session, found.id, self.clock.now()) is False
            await session.commit()

    @rule(source=consumes(sources))
    def coordinator_accepts(self, source: tuple[str, str]) -> None:
        self.run(self._accept(*source))

    async def _pay_twice(self) -> tuple[list[int], list[int]]:
        made = []
        for _ in range(2):
            async with self.sessions() as session:
                report = await run_payouts(session, self.clock.now(), TERMS)
                await session.commit()
                made.append(report.created)
        return made[0], made[1]

    @rule()
    def payout_run_twice(self) -> None:
        _first, second = self.run(self._pay_twice())
        assert second == []

    async def _confirm(self, paid: bool) -> None:
        async with self.sessions() as session:
            waiting = await session.execute(
                select(Payout.id).where(Payout.state == PayoutState.IN_PAYOUT).order_by(Payout.id)
            )
            payout_id = waiting.scalars().first()
            if payout_id is None:
                return
            now = self.clock.now()
            await confirm(session, payout_id, now, paid=paid, reason="bounced", actor="test")
            try:
                await confirm(session, payout_id, now, paid=True, actor="test")
            except PayoutError as refused:
                assert refused.reason == "not_in_payout"
            else:
                raise AssertionError("a payout was confirmed twice")
            await session.commit()

    @rule(paid=st.booleans())
    def finance_confirms(self, paid: bool) -> None:
        self.run(self._confirm(paid))

    async def _balances(self, worker: int) -> dict[str, ledger.Balance]:
        async with self.sessions() as session:
            return await ledger.balances(session, worker)

    async def _books(self) -> dict[str, Any]:
        async with self.sessions() as session:
            per_account: dict[tuple[int | None, str, str], int] = defaultdict(int)
            for column, sign in ((LedgerEntry.to_account, 1), (LedgerEntry.from_account, -1)):
                rows = await session.execute(
                    select(
                        LedgerEntry.user_id,
                        column,
                        LedgerEntry.currency,
                        func.sum(LedgerEntry.amount_minor),
                    ).group_by(LedgerEntry.user_id, column, LedgerEntry.currency)
                )
                for user_id, account, currency, total in rows.all():
                    owner = None if account.startswith("platform:") else user_id
                    per_account[(owner, account, currency)] += sign * int(total)
            released = (
                await session.execute(
                    select(LedgerEntry.related_id, func.count())
                    .where(LedgerEntry.kind == ledger.RELEASE)
                    .group_by(LedgerEntry.related_id)
                )
            ).all()
            payouts = (
                await session.execute(
                    select(Payout.user_id, Payout.currency, Payout.state, Payout.amount_minor)
                )
            ).all()
            return {
                "payouts": payouts,
                "accounts": per_account,
                "balances": {w: await ledger.balances(session, w) for w in WORKERS},
                "credited": {w: await ledger.credited(session, w) for w in WORKERS},
                "released": released,
            }

    @invariant()
    def the_books_hold(self) -> None:
        books = self.run(self._books())
        # Every entry moves money between two accounts: per currency, everything sums to zero.
        for currency in CURRENCIES:
            assert sum(v for (_, _, c), v in books["accounts"].items() if c == currency) == 0
        # No release twice of one credit.
        assert all(count == 1 for _, count in books["released"])
        for worker in WORKERS:
            expected: dict[tuple[str, str], int] = defaultdict(int)
            per_currency: dict[str, int] = defaultdict(int)
            for (kind, _key), (owner, currency, amount) in self.credited.items():
                if owner == worker:
                    expected[(kind, currency)] += amount
                    per_currency[currency] += amount
            # Each worker's credits are the sum of their sources.
            assert books["credited"][worker] == {k: v for k, v in expected.items() if v}
            for currency, balance in books["balances"][worker].items():
                assert balance.available >= 0 and balance.pending >= 0
                # In payout and paid are exactly the worker's payouts in those states.
                for state in (PayoutState.IN_PAYOUT, PayoutState.PAID):
                    assert getattr(balance, state) == sum(
                        amount
                        for owner, c, s, amount in books["payouts"]
                        if (owner, c, s) == (worker, currency, state)
                    )
                # pending + available + in payout + paid = all credits
                assert balance.total == per_currency[currency]
            for currency, total in per_currency.items():
                if total:
                    assert books["balances"][worker][currency].total == total
        assert set(books["credited"]) == set(WORKERS)
        assert {kind for kind, _ in self.credited} <= set(CREDIT_KINDS)


def test_the_ledger_keeps_its_books_under_random_operations(sqlite_template: Path) -> None:
    Books.template = sqlite_template
    run_state_machine_as_test(
        Books,
        settings=settings(
            max_examples=30,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
