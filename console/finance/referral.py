"""Referral-commission pages (推荐佣金): commissions and their history, withdrawals approved, rejected and paid,
on the ``scrm.referral`` service."""

from __future__ import annotations

from typing import Annotated, Any, Callable, Iterable, Mapping

from fastapi import Depends, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from console import core
from scrm.auth import FinanceStaff, SessionDep, require_roles
from scrm.core.crypto import mask_card, mask_name, mask_phone
from scrm.core.errors import AppError, ValidationFailed
from scrm.core.money import from_fen
from scrm.customers import service as customer_service
from scrm.org import service as org_service
from scrm.org.models import Employee, Role
from scrm.referral import service as referral_service
from scrm.referral.labels import COMMISSION_NAMES, METHOD_NAMES, WITHDRAWAL_NAMES
from scrm.referral.models import Withdrawal, WithdrawalState

router = core.console_router()
Id = Annotated[int, Path(ge=1)]
FINANCE = (Role.finance, Role.admin)

ReferralViewer = Annotated[Employee, Depends(require_roles(Role.finance, Role.manager))]
STATE_NAMES = {s.value: n for s, n in (COMMISSION_NAMES | WITHDRAWAL_NAMES).items()}


def _people(session: Session, ids: set[int]) -> dict[int, dict[str, str]]:
    """Referrers and referred customers as finance sees them: name and phone masked."""
    if not ids:
        return {}
    return {c.id: {"name": c.name or "", "masked": mask_name(c.name) or "", "phone": mask_phone(c.phone) or ""}
            for c in customer_service.customers_by_id(session, ids)}


def _by_state(request: Request, session: Session, path: str, sorts: Iterable[str], names: Mapping[Any, str],
              list_rows: Callable[..., list], count_rows: Callable[..., int]) -> tuple[core.Listing, list, list]:
    """A referral list filtered by state: the listing (with its total), the page's rows and the state choices."""
    listing = core.Listing.read(request, path, ("state",), default_sort="-id", sorts=tuple(sorts))
    wanted = listing.filters.get("state")
    state = next((s for s in names if s.value == wanted), None)
    rows = list_rows(session, state=state, limit=listing.page_size, offset=listing.offset, sort=listing.sort)
    listing.total = count_rows(session, state=state)
    return listing, rows, [("", "全部")] + [(s.value, n) for s, n in names.items()]


@router.get("/referral/commissions")
def commission_list(request: Request, staff: ReferralViewer, session: SessionDep) -> Response:
    core.remember(request, staff)
    listing, rows, options = _by_state(request, session, "/referral/commissions", referral_service.COMMISSION_SORTS,
                                       COMMISSION_NAMES, referral_service.list_commissions,
                                       referral_service.count_commissions)
    return core.render(request, "finance/commissions.html", {
        "listing": listing, "rows": rows, "names": COMMISSION_NAMES, "from_fen": from_fen, "state_options": options,
        "people": _people(session, {c.referrer_customer_id for c in rows} | {c.referred_customer_id for c in rows}),
    }, staff=staff)


@router.get("/referral/commissions/{commission_id}")
def commission_page(commission_id: Id, request: Request, staff: ReferralViewer, session: SessionDep) -> Response:
    core.remember(request, staff)
    row = referral_service.get_commission(session, commission_id)
    history = referral_service.history(session, "commission", row.id)
    return core.render(request, "finance/commission.html", {
        "c": row, "history": history, "names": COMMISSION_NAMES, "state_names": STATE_NAMES, "from_fen": from_fen,
        "people": _people(session, {row.referrer_customer_id, row.referred_customer_id}),
        "actors": org_service.employee_names(session, {h.actor_employee_id for h in history}),
    }, staff=staff)


@router.get("/referral")
def withdrawal_list(request: Request, staff: ReferralViewer, session: SessionDep) -> Response:
    core.remember(request, staff)
    listing, rows, options = _by_state(request, session, "/referral", referral_service.WITHDRAWAL_SORTS,
                                       WITHDRAWAL_NAMES, referral_service.list_withdrawals,
                                       referral_service.count_withdrawals)
    return core.render(request, "finance/withdrawals.html", {
        "listing": listing, "rows": rows, "names": WITHDRAWAL_NAMES, "methods": METHOD_NAMES, "from_fen": from_fen,
        "mask_card": mask_card, "people": _people(session, {w.customer_id for w in rows}), "state_options": options,
    }, staff=staff)


def _withdrawal_context(session: Session, staff: Employee, row: Withdrawal) -> dict[str, Any]:
    history = referral_service.history(session, "withdrawal", row.id)
    finance = staff.role in FINANCE
    allowed = referral_service.WITHDRAWAL_MACHINE.allowed_actions(row, staff)
    return {
        "w": row, "history": history, "names": WITHDRAWAL_NAMES, "state_names": STATE_NAMES, "methods": METHOD_NAMES,
        "from_fen": from_fen, "card": mask_card(row.bank_card), "people": _people(session, {row.customer_id}),
        "actors": org_service.employee_names(session, {h.actor_employee_id for h in history}),
        "commissions": referral_service.commissions_of_withdrawal(session, row.id),
        "commission_names": COMMISSION_NAMES,
        "may": {action: finance and action in allowed for action in ("approve", "reject", "pay")},
    }


@router.get("/referral/withdrawals/{withdrawal_id}")
def withdrawal_page(withdrawal_id: Id, request: Request, staff: ReferralViewer, session: SessionDep) -> Response:
    core.remember(request, staff)
    row = referral_service.get_withdrawal(session, withdrawal_id)
    return core.render(request, "finance/withdrawal.html", _withdrawal_context(session, staff, row), staff=staff)


def _withdrawal_error(request: Request, session: Session, staff: Employee, withdrawal_id: int, exc: AppError,
                      values: dict[str, str]) -> Response:
    session.rollback()
    ctx = _withdrawal_context(session, staff, referral_service.get_withdrawal(session, withdrawal_id))
    ctx.update(errors=core.field_errors(exc), values=values)
    return core.render(request, "finance/withdrawal.html", ctx, staff=staff, status_code=422)


@router.post("/referral/withdrawals/{withdrawal_id}/approve")
def withdrawal_approve(withdrawal_id: Id, request: Request, staff: FinanceStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    referral_service.approve_withdrawal(session, staff, withdrawal_id)
    return core.redirect(f"/referral/withdrawals/{withdrawal_id}", msg="withdrawal_approved")


@router.post("/referral/withdrawals/{withdrawal_id}/reject")
async def withdrawal_reject(withdrawal_id: Id, request: Request, staff: FinanceStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    reason = str((await request.form()).get("reason", "")).strip()
    try:
        if len(reason) > 200:
            raise ValidationFailed("驳回原因最多 200 字", field="reason")
        referral_service.reject_withdrawal(session, staff, withdrawal_id, reason)
    except ValidationFailed as exc:
        return _withdrawal_error(request, session, staff, withdrawal_id, exc, {"reason": reason})
    return core.redirect(f"/referral/withdrawals/{withdrawal_id}", msg="withdrawal_rejected")


@router.post("/referral/withdrawals/{withdrawal_id}/pay")
async def withdrawal_pay(withdrawal_id: Id, request: Request, staff: FinanceStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    reference = str((await request.form()).get("bank_reference", "")).strip() or None
    try:
        row = referral_service.pay_withdrawal(session, staff, withdrawal_id, bank_reference=reference)
    except ValidationFailed as exc:
        return _withdrawal_error(request, session, staff, withdrawal_id, exc, {"bank_reference": reference or ""})
    msg = "withdrawal_paid" if row.state == WithdrawalState.paid else "withdrawal_failed"
    return core.redirect(f"/referral/withdrawals/{withdrawal_id}", msg=msg)
