"""What the assignment-rules pages show beyond one service's answer: the rules with their team's names, and a
rule edit tried on the latest customers. Nothing is written except inside a rolled-back savepoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from scrm.assignment import service as assignment_service
from scrm.assignment.models import AssignmentRule
from scrm.assignment.schemas import RuleCreate, RuleUpdate
from scrm.customers import service as customer_service
from scrm.customers.models import CustomerStatus
from scrm.org import service as org_service
from scrm.org.models import Employee

SAMPLE_SIZE = 200


@dataclass
class RulePreview:
    sample: int
    matched: int
    taken: int
    shadowed_by: dict[str, int]
    rows: list[dict[str, Any]]
    team: list[str]


def preview_assignment_rule(session: Session, viewer: Employee, rule_id: int | None, data: RuleCreate
                            ) -> RulePreview:
    """Validate a rule edit with the assignment service and show which of the latest customers in scope it
    would match, and how many it would get before rules of higher priority; nothing is kept."""
    savepoint = session.begin_nested()
    try:
        if rule_id is None:
            rule = assignment_service.create_rule(session, viewer, data)
        else:
            rule = assignment_service.update_rule(session, viewer, rule_id, RuleUpdate(**data.model_dump()))
        rules = [r for r in assignment_service.list_rules(session) if r.active or r.id == rule.id]
        customers = customer_service.search(session, viewer, status=CustomerStatus.active, page_size=SAMPLE_SIZE).rows
        refs = customer_service.refs(session, customers)
        matched, taken, shadowed, rows = 0, 0, {}, []
        for c in customers:
            code = refs.products.get(c.product_id) if c.product_id else None
            hits = [r for r in rules if assignment_service.matches(r, c, code)]
            if rule not in hits:
                continue
            matched += 1
            first = hits[0]
            if first is rule:
                taken += 1
            else:
                shadowed[first.name] = shadowed.get(first.name, 0) + 1
            if len(rows) < 20:
                rows.append({"id": c.id, "name": c.name, "city": c.city or "", "region": c.region or "",
                             "product": code or "", "source": c.source.value,
                             "owner": refs.owners.get(c.owner_id, "") if c.owner_id else "",
                             "by": "本规则" if first is rule else first.name})
        team = list(org_service.employee_names(session, set(rule.team_employee_ids)).values())
        return RulePreview(len(customers), matched, taken, shadowed, rows, team)
    finally:
        savepoint.rollback()


def rules_with_team_names(session: Session) -> list[tuple[AssignmentRule, list[str]]]:
    rules = assignment_service.list_rules(session)
    names = org_service.employee_names(session, {i for r in rules for i in r.team_employee_ids})
    return [(r, [names.get(i, f"#{i}") for i in r.team_employee_ids]) for r in rules]
