"""Counts a customer states about their credit, read out of a text as figures with the words that said them:
"近3个月征信查询了12次" is 12 inquiries in the last 3 months, "逾期3次" 3 overdues, "有5个网贷" 5 online loans.
Pure: no database. Risk control reads them as facts (``scrm.risk``); here they are only read and merged.

A count of inquiries takes the window said before it in the same clause (近3个月, 一个月, 半年); a count said
without one ("查询了十几次") is taken as the last 6 months, the longest window the facts keep. A window the facts do
not keep (一年) leaves the count out.
"""

from __future__ import annotations

import re
from typing import Callable

from scrm.tagging.rules import count_value

FACTS = ("inquiries_1m", "inquiries_3m", "inquiries_6m", "overdue_count", "online_loans")
UNSPOKEN_WINDOW = 6
_WINDOWS = {1: "inquiries_1m", 3: "inquiries_3m", 6: "inquiries_6m"}

_N = r"(?P<n>\d{1,3}[多来余]?|[一二两三四五六七八九十几好多来]{1,4})"
_CLAUSE = re.compile(r"[^,，。.;；!！?？\n]+")
_INQUIRY = re.compile(r"(?:查询|查了|被查|查过|点了|查征信|查)[^,，。;；!！?？ 拒逾]{0,5}?" + _N + r"(?:次|条)")
_WINDOW = re.compile(r"(?:近|最近|过去|这)?(?P<w>\d{1,2}|[一二两三六十]{1,2}|半)(?:个)?(?P<unit>月|年)")
_OVERDUE = re.compile(r"逾期(?:了|过)?" + _N + r"(?:次|回)|" + _N.replace("<n>", "<n2>") + r"(?:次|回)(?:的)?逾期")
_PLATFORMS = ("网贷", "口子", "小贷平台", "借贷平台")
_ONLINE = re.compile(r"(?:网贷|口子|小贷平台|借贷平台)[^,，。;；!！?？]{0,4}?" + _N + r"(?:个|家|笔)(?!月)|"
                     + _N.replace("<n>", "<n2>") + r"(?:个|家|笔)(?:网贷|口子|小贷平台|借贷平台)")
_NOT_ME = ("老公", "老婆", "我爸", "我妈", "朋友", "同事", "别人", "他家", "她家")


def _number(match: re.Match) -> int | None:
    raw = next((v for v in match.groupdict().values() if v), None)
    n = count_value(raw) if raw else None
    return n if n is not None and 0 <= n <= 1000 else None


def _window(text: str) -> tuple[int, int] | None:
    """The last window named before a count (its months, 半年 6, 一年 12; and where it starts), or None."""
    found = None
    for m in _WINDOW.finditer(text):
        w = m.group("w")
        months = 6 if w == "半" else count_value(w)
        if months is not None:
            found = (months * 12 if m.group("unit") == "年" and w != "半" else months, m.start())
    return found


def extract(text: str) -> dict[str, dict]:
    """``{fact: {"value": n, "phrase": the words}}`` for every count the text states (the last one said wins)."""
    out: dict[str, dict] = {}
    # a pattern that finds nothing in the whole text finds nothing in any of its clauses: most texts stop here
    inquiries = ("查" in text or "点了" in text) and _INQUIRY.search(text) is not None
    overdue = "逾期" in text and _OVERDUE.search(text) is not None
    online = any(w in text for w in _PLATFORMS) and _ONLINE.search(text) is not None
    if not (inquiries or overdue or online):
        return out
    patterns = (("overdue_count", _OVERDUE),) * overdue + (("online_loans", _ONLINE),) * online
    for clause in _CLAUSE.finditer(text):
        part, offset = clause.group(), clause.start()
        if any(w in part for w in _NOT_ME):
            continue
        for m in _INQUIRY.finditer(part) if inquiries else ():
            n = _number(m)
            if n is None:
                continue
            window = _window(part[:m.start()])
            fact = _WINDOWS.get(UNSPOKEN_WINDOW if window is None else window[0])
            if fact is None:
                continue
            start = m.start() if window is None else window[1]
            out[fact] = {"value": n, "phrase": text[offset + start:offset + m.end()]}
        for fact, pattern in patterns:
            for m in pattern.finditer(part):
                n = _number(m)
                if n is not None:
                    out[fact] = {"value": n, "phrase": m.group()}
    return out


def newest(items: list, why: Callable) -> dict[str, dict]:
    """Per count, the newest statement among the evidence ``items`` (sorted oldest first) with where it was said:
    ``{fact: {"value", "source", "source_key", "at", "excerpt", "phrase"}}``."""
    out: dict[str, dict] = {}
    for item in items:
        for fact, said in (item.result.get("counts") or {}).items():
            if fact in FACTS:
                out[fact] = {"value": said["value"], **why(item, said.get("phrase"))}
    return out
