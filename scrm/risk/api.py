"""Risk control: a customer's facts and what the rules decided (staff who can see the customer), the rules and the
scorecard (managers and admins write them; anyone signed in reads them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from scrm.auth import CurrentStaff, ManagerStaff, SessionDep
from scrm.core.errors import ERROR_RESPONSES
from scrm.customers.identity import MP_ERRORS, CurrentCustomer
from scrm.risk import labels, schemas
from scrm.risk import service as risk_service

router = APIRouter(prefix="/api/risk", tags=["risk"], responses=ERROR_RESPONSES)
customers_router = APIRouter(prefix="/api/customers", tags=["risk"], responses=ERROR_RESPONSES)
mp_router = APIRouter(prefix="/mp", tags=["mini-program"], responses=MP_ERRORS)

Id = Annotated[int, Path(ge=1)]


def _rule_out(rule) -> schemas.RuleOut:
    out = schemas.RuleOut.model_validate(rule)
    out.description = risk_service.describe(rule.condition)
    return out


@customers_router.get("/{customer_id}/risk", response_model=schemas.CustomerRiskOut)
def customer_risk(customer_id: Id, staff: CurrentStaff, session: SessionDep) -> dict:
    """The customer's risk facts and score, what the profile (画像) read, the decisions in force — reject pool (拒绝池),
    awaiting approval, returned for materials — each with the firing and facts behind it, and every firing."""
    return risk_service.customer_risk(session, staff, customer_id)


@customers_router.patch("/{customer_id}/risk/facts", response_model=schemas.CustomerRiskOut)
def set_facts(customer_id: Id, body: schemas.FactsIn, staff: CurrentStaff, session: SessionDep) -> dict:
    """Change some risk facts (money in fen; ``null`` clears one). The change goes on the timeline with who made it;
    the score is recomputed and the rules evaluated in the same transaction."""
    risk_service.set_facts(session, staff, customer_id, body)
    return risk_service.customer_risk(session, staff, customer_id)


@customers_router.post("/{customer_id}/risk/clear", response_model=schemas.CustomerRiskOut)
def clear(customer_id: Id, body: schemas.ClearIn, staff: ManagerStaff, session: SessionDep) -> dict:
    """Take the customer out of the reject pool, or end the awaiting approval or the return for materials."""
    risk_service.clear_decision(session, staff, customer_id, body)
    return risk_service.customer_risk(session, staff, customer_id)


@router.get("/labels")
def risk_labels(staff: CurrentStaff) -> dict:
    """The facts, operators, overdue grades, materials and actions a rule may use, with their Chinese names."""
    return {"facts": labels.FACT_NAMES, "ops": labels.OP_NAMES, "worst_overdue": labels.OVERDUE_NAMES,
            "materials": labels.MATERIAL_NAMES, "actions": labels.ACTION_NAMES}


@router.get("/rules", response_model=list[schemas.RuleOut])
def list_rules(staff: CurrentStaff, session: SessionDep) -> list[schemas.RuleOut]:
    """Every rule, in the order they are evaluated."""
    return [_rule_out(r) for r in risk_service.list_rules(session)]


@router.post("/rules", response_model=schemas.RuleOut, status_code=201)
def create_rule(body: schemas.RuleIn, staff: ManagerStaff, session: SessionDep) -> schemas.RuleOut:
    """Add a rule. A bad condition or action is a 422 naming the field (``condition.all[1].value``) and the problem.
    Every customer with facts is evaluated against it after commit."""
    return _rule_out(risk_service.create_rule(session, staff, body))


@router.patch("/rules/{rule_id}", response_model=schemas.RuleOut)
def update_rule(rule_id: Id, body: schemas.RulePatch, staff: ManagerStaff, session: SessionDep) -> schemas.RuleOut:
    """Change a rule; a new condition or new actions make a new version, which fires afresh where it matches."""
    return _rule_out(risk_service.update_rule(session, staff, rule_id, body))


@router.post("/rules/preview", response_model=schemas.RulePreviewOut)
def preview_rule(body: schemas.RuleDraft, staff: ManagerStaff, session: SessionDep) -> dict:
    """How many customers with facts a draft rule matches, with a sample and the facts that match; writes nothing."""
    if body.actions is None:
        condition = risk_service.check_condition(body.condition)
    else:
        condition, _ = risk_service.check_rule(session, body.condition, body.actions)
    return risk_service.preview_condition(session, condition)


@router.get("/scorecard", response_model=schemas.ScorecardOut)
def get_scorecard(staff: CurrentStaff, session: SessionDep) -> schemas.ScorecardOut:
    """The qualification scorecard (资质评分) in use."""
    card = risk_service.current_scorecard(session)
    return schemas.ScorecardOut(id=card.id, base=card.base, bands=card.bands)


@router.put("/scorecard", response_model=schemas.ScorecardOut)
def save_scorecard(body: schemas.ScorecardIn, staff: ManagerStaff, session: SessionDep) -> schemas.ScorecardOut:
    """Replace the scorecard; every customer with facts is re-scored at once, the rules evaluated after commit."""
    row = risk_service.save_scorecard(session, staff, body)
    return schemas.ScorecardOut(id=row.id, base=row.base, bands=row.bands)


@router.post("/scorecard/preview", response_model=schemas.ScorePreviewOut)
def preview_scorecard(body: schemas.ScorecardIn, staff: ManagerStaff, session: SessionDep) -> dict:
    """The score distribution a draft scorecard would give, in bands of 10 beside today's; writes nothing."""
    return risk_service.preview_scorecard(session, body.base, body.bands)


def _own_facts(session, customer_id: int) -> schemas.OwnFactsOut:
    facts = risk_service.facts_view(session, risk_service.get_facts(session, customer_id))
    return schemas.OwnFactsOut.model_validate(facts or {})


@mp_router.get("/risk/facts", response_model=schemas.OwnFactsOut, summary="My credit and income details")
def own_facts(customer: CurrentCustomer, session: SessionDep) -> schemas.OwnFactsOut:
    """The credit and income details the customer or their salesperson entered (no score, no decisions)."""
    return _own_facts(session, customer.id)


@mp_router.patch("/risk/facts", response_model=schemas.OwnFactsOut, summary="Fill in my credit and income details")
def set_own_facts(body: schemas.FactsIn, customer: CurrentCustomer, session: SessionDep) -> schemas.OwnFactsOut:
    """The customer fills in or corrects their own details (money in fen; ``null`` clears one). The change goes on
    their timeline as made by the customer, and is scored and checked against the rules as a salesperson's is."""
    risk_service.set_facts(session, None, customer.id, body)
    return _own_facts(session, customer.id)
