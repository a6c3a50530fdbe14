"""The dashboards' numbers: one count of the period's customers by owner and stage (from the customers
service) serves the funnel and both rankings; the channels' numbers come from the same service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from scrm.customers import service as customer_service
from scrm.customers.labels import STAGE_NAMES
from scrm.customers.models import Stage
from scrm.org import service as org_service
from scrm.org.models import Employee

FUNNEL = [Stage.lead, Stage.contacted, Stage.appointment, Stage.signed, Stage.processing, Stage.disbursed,
          Stage.settled]


@dataclass
class Period:
    since: datetime
    until: datetime
    center_id: int | None = None
    department_id: int | None = None


def stage_counts(session: Session, viewer: Employee, period: Period) -> list[tuple[int | None, Stage, int]]:
    """(owner id, stage, customers) for the customers created in the period, within the chosen team."""
    return customer_service.stage_counts_by_owner(
        session, viewer, created_from=period.since, created_to=period.until,
        owner_ids=org_service.team_member_ids(period.center_id, period.department_id))


def funnel(counts: list[tuple[int | None, Stage, int]]) -> list[tuple[str, int, int]]:
    """(stage name, customers now at the stage, customers that reached it); lost ones count only as lost,
    since how far they got is not recorded."""
    now_at: dict[Stage, int] = {}
    for _, stage, n in counts:
        now_at[stage] = now_at.get(stage, 0) + n
    out, reached = [], sum(now_at.get(s, 0) for s in FUNNEL)
    for stage in FUNNEL:
        out.append((STAGE_NAMES[stage], now_at.get(stage, 0), reached))
        reached -= now_at.get(stage, 0)
    out.append((STAGE_NAMES[Stage.lost], now_at.get(Stage.lost, 0), now_at.get(Stage.lost, 0)))
    return out


def channels(session: Session, viewer: Employee, period: Period) -> list:
    return [s for s in customer_service.channel_stats(session, viewer, since=period.since, until=period.until)
            if s.adds or s.customers]


def rankings(session: Session, counts: list[tuple[int | None, Stage, int]], limit: int = 10
             ) -> tuple[list[tuple[str, str, int, int]], list[tuple[str, int, int]]]:
    """Employees (name, team, leads, conversions) and teams (name, leads, conversions), most leads first."""
    per_owner: dict[int, list[int]] = {}
    for owner, stage, n in counts:
        if owner is not None:
            totals = per_owner.setdefault(owner, [0, 0])
            totals[0] += n
            totals[1] += n if stage in customer_service.CONVERTED_STAGES else 0
    if not per_owner:
        return [], []
    people, teams = [], {}
    for employee_id, name, team_id, team in org_service.employees_with_teams(session, per_owner):
        leads, converted = per_owner[employee_id]
        people.append((name, team or "", leads, converted))
        if team_id is not None:
            t = teams.setdefault(team_id, [team, 0, 0])
            t[1] += leads
            t[2] += converted
    people.sort(key=lambda p: (-p[2], p[0]))
    team_rows = sorted(((t[0], t[1], t[2]) for t in teams.values()), key=lambda t: (-t[1], t[0]))
    return people[:limit], team_rows[:limit]
