"""Every console page, under /console (one router for ``loan_scrm.app.ROUTER_MODULES``)."""

from __future__ import annotations

from fastapi import APIRouter

from console.admin import pages as admin
from console.admin import wecom_import
from console.customers import pages as customers
from console.dashboards import pages as dashboards
from console.finance import debits, orders, referral, reimbursements, settlements
from console.handover import pages as handover
from console.home import pages as home
from console.rules import assignment, commission, sop, tagging, tiers

router = APIRouter(include_in_schema=False)
for module in (home, customers, handover, assignment, tagging, tiers, commission, sop, dashboards, orders,
               settlements, debits, reimbursements, referral, admin, wecom_import):
    router.include_router(module.router)
