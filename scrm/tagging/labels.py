"""Chinese names of the intent levels and the risk counts the profile (画像) holds."""

from __future__ import annotations

INTENT_NAMES = {"high": "高", "medium": "中", "low": "低"}
COUNT_NAMES = {"inquiries_1m": "征信近1个月查询", "inquiries_3m": "征信近3个月查询", "inquiries_6m": "征信近6个月查询",
               "overdue_count": "逾期次数", "online_loans": "网贷笔数"}
