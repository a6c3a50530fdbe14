"""The commission arithmetic, property-tested: whole fen, never above the configured share of the fees."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrm.core.money import round_fen
from scrm.referral.commission import LevelRule, exact_amount, split

pytestmark = pytest.mark.pure

fees = st.integers(min_value=0, max_value=10**10)
rates = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(100), places=4)
caps = st.one_of(st.none(), st.integers(min_value=0, max_value=10**9))
shares = st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=2)
level_rules = st.one_of(
    st.none(),
    st.builds(LevelRule, kind=st.just("percent"), rate_percent=rates, cap_fen=caps),
    st.builds(LevelRule, kind=st.just("fixed"), fixed_fen=st.integers(min_value=1, max_value=10**8), cap_fen=caps))


@settings(max_examples=400, deadline=None)
@given(fee=fees, rules=st.lists(level_rules, min_size=1, max_size=2), share=shares)
def test_commissions_never_exceed_the_configured_share_of_the_fee(fee, rules, share):
    amounts = split(fee, rules, share)
    assert all(isinstance(a, int) and a >= 0 for a in amounts)
    share_fen = int(round_fen(Decimal(fee) / 100 * share / 100) * 100)
    assert sum(amounts) <= share_fen
    # and never more than the rules give, rounded once
    exact = sum(exact_amount(fee, r) for r in rules)
    assert sum(amounts) <= int(round_fen(exact) * 100)


@settings(max_examples=200, deadline=None)
@given(settlements=st.lists(st.tuples(fees, rates), min_size=1, max_size=30), share=shares)
def test_over_many_settlements_the_total_stays_within_the_share_of_fees_collected(settlements, share):
    total = sum(split(fee, [LevelRule("percent", rate_percent=rate)], share)[0] for fee, rate in settlements)
    assert total <= sum(int(round_fen(Decimal(fee) / 100 * share / 100) * 100) for fee, _ in settlements)


@given(fee=fees, rate=rates)
def test_a_single_percentage_is_the_fee_times_the_rate_rounded_half_up_once(fee, rate):
    [amount] = split(fee, [LevelRule("percent", rate_percent=rate)], Decimal(100))
    assert amount == int(round_fen(Decimal(fee) / 100 * rate / 100) * 100)


def test_known_values():
    assert split(1, [LevelRule("percent", rate_percent=Decimal(50))], Decimal(100)) == [1]  # 0.005 → 0.01
    assert split(1, [LevelRule("percent", rate_percent=Decimal(50))] * 2, Decimal(100)) == [1, 0]
    assert split(100_000, [LevelRule("fixed", fixed_fen=50_000), LevelRule("fixed", fixed_fen=50_000)],
                 Decimal(30)) == [30_000, 0]
