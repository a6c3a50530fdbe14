"""Risk control: facts, the scorecard, rules and their evaluation. Other modules use ``not_in_reject_pool``."""

from __future__ import annotations

from scrm.risk.service.conditions import check as check_condition
from scrm.risk.service.conditions import describe
from scrm.risk.service.evaluation import Outcome, evaluate, in_reject_pool, not_in_reject_pool
from scrm.risk.service.evaluation import preview as preview_condition
from scrm.risk.service.facts import (clear_decision, customer_risk, debt_ratio_bp, facts_view, get_facts,
                                    on_profile_changed, set_facts, take_stated_counts)
from scrm.risk.service.rules import check_rule, create_rule, get_rule, list_rules, require_editor, update_rule
from scrm.risk.service.scorecard import current as current_scorecard
from scrm.risk.service.scorecard import preview as preview_scorecard
from scrm.risk.service.scorecard import save as save_scorecard

__all__ = [
    "Outcome", "check_condition", "check_rule", "clear_decision", "create_rule", "current_scorecard",
    "customer_risk", "debt_ratio_bp", "describe", "evaluate", "facts_view", "get_facts", "get_rule", "in_reject_pool",
    "list_rules", "not_in_reject_pool", "on_profile_changed", "preview_condition", "preview_scorecard", "require_editor",
    "save_scorecard", "set_facts", "take_stated_counts", "update_rule",
]
