"""Every console page, under /console (one router for ``loan_scrm.app.ROUTER_MODULES``)."""

from __future__ import annotations

from fastapi import APIRouter

from console import (admin, customers, dashboards, finance_debits, finance_misc, finance_orders, finance_settlements,
                     handover, home, rules, rules_more)

router = APIRouter(include_in_schema=False)
for module in (home, customers, handover, rules, rules_more, dashboards, finance_orders, finance_settlements,
               finance_debits, finance_misc, admin):
    router.include_router(module.router)
