"""The home page's tiles: a few numbers within the viewer's scope, from the customers and handover services."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from scrm.core.db import Count
from scrm.customers import service as customer_service
from scrm.handover import service as handover_service
from scrm.org.models import Employee, Role


def _figure(count: Count) -> str:
    return f"约 {count.n:,}" if count.estimated else f"{count.n:,}"


def home_tiles(session: Session, viewer: Employee) -> list[dict[str, Any]]:
    mine, open_leads = customer_service.scope_counts(session, viewer)
    tiles = [{"label": "我能看到的客户", "value": _figure(mine), "path": "/customers"},
             {"label": "在跟线索（未签约）", "value": _figure(open_leads), "path": "/customers?stage=lead"}]
    if viewer.role in (Role.manager, Role.admin):
        cases = handover_service.list_cases(session, viewer, open_only=True)
        tiles.append({"label": "进行中的交接", "value": str(len(cases)), "path": "/handover"})
    return tiles
