"""The commission arithmetic, pure: what each referrer level earns on one settlement, in fen.

Each level's exact amount (a percentage of the service fee collected, or a fixed amount, each under
its cap) is added up level by level, the running total held under the configured share of the fee;
the running total is rounded once with ``round_fen`` and each level gets the difference. So the
commissions of a settlement add up to the rounded total, never to more than the configured share of
the fee collected, and no fen is lost or made up between levels.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from scrm.core.money import from_fen, to_fen

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class LevelRule:
    kind: str  # percent | fixed
    rate_percent: Decimal | None = None
    fixed_fen: int | None = None
    cap_fen: int | None = None


def exact_amount(fee_fen: int, rule: LevelRule | None) -> Decimal:
    """The unrounded yuan a rule gives on a fee."""
    if rule is None:
        return Decimal(0)
    if rule.kind == "percent":
        amount = from_fen(fee_fen) * (rule.rate_percent or Decimal(0)) / HUNDRED
    else:
        amount = from_fen(rule.fixed_fen or 0)
    if rule.cap_fen is not None:
        amount = min(amount, from_fen(rule.cap_fen))
    return max(amount, Decimal(0))


def split(fee_fen: int, rules: list[LevelRule | None], max_share_percent: Decimal) -> list[int]:
    """Fen per level (in the order of ``rules``) for a settlement that collected ``fee_fen``."""
    limit = from_fen(max(fee_fen, 0)) * max_share_percent / HUNDRED
    running = Decimal(0)
    given = 0
    out = []
    for rule in rules:
        running = min(running + exact_amount(fee_fen, rule), limit)
        total = to_fen(running)
        out.append(total - given)
        given = total
    return out
