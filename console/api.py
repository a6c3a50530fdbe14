"""Every console page, under /console (one router for ``loan_scrm.app.ROUTER_MODULES``)."""

from __future__ import annotations

from fastapi import APIRouter

from console.admin import pages as admin
from console.admin import wecom_import
from console.approvals import pages as approvals
from console.customers import pages as customers
from console.dashboards import pages as dashboards
from console.finance import accounting, debits, expenses, orders, performance, referral, reimbursements, settlements
from console.handover import pages as handover
from console.home import pages as home
from console.materials import pages as materials
from console.pipeline import pages as pipeline
from console.products import pages as products
from console.reports import pages as reports
from console.risk import pages as risk
from console.rules import assignment, commission, sop, tagging, tiers
from console.sidebar import pages as sidebar

router = APIRouter(include_in_schema=False)
for module in (home, customers, products, handover, assignment, tagging, tiers, commission, sop, dashboards, reports,
               orders, settlements, debits, accounting, performance, expenses, reimbursements, referral, admin,
               wecom_import, materials, sidebar, risk, approvals, pipeline):
    router.include_router(module.router)
