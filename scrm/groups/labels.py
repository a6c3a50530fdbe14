"""Chinese names of the tiers the tiering rules put customers in."""

from __future__ import annotations

TIER_NAMES = {"A": "A 类", "B": "B 类", "C": "C 类", "blocked": "拦截池"}
