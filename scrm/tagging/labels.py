"""Chinese names of the intent levels the profile (画像) holds."""

from __future__ import annotations

INTENT_NAMES = {"high": "高", "medium": "中", "low": "低"}
