"""The people of the pipeline tests: two centres, each with a manager, a supervisor and salespeople; the standard
eight stages."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from scrm.org.models import Employee, Role
from scrm.pipeline import service as pipeline_service
from scrm.pipeline.models import PipelineStage
from tests.factories.org import make_department, make_employee

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Team:
    manager: Employee
    supervisor: Employee
    sales: Employee
    colleague: Employee  # same department as sales
    processor: Employee
    other_manager: Employee  # another centre
    other_sales: Employee


def make_team(db) -> Team:
    dept = make_department(db)
    other = make_department(db)
    return Team(manager=make_employee(db, "王经理", role=Role.manager, department=dept),
                supervisor=make_employee(db, "赵主管", role=Role.supervisor, department=dept),
                sales=make_employee(db, "张三", department=dept),
                colleague=make_employee(db, "李四", department=dept),
                processor=make_employee(db, "钱做单", role=Role.processor, department=dept),
                other_manager=make_employee(db, "孙经理", role=Role.manager, department=other),
                other_sales=make_employee(db, "周五", department=other))


def stages_by_name(db) -> dict[str, PipelineStage]:
    return {s.name: s for s in pipeline_service.seed_stages(db)}


@pytest.fixture
def team(db) -> Team:
    return make_team(db)


@pytest.fixture
def stages(db) -> dict[str, PipelineStage]:
    return stages_by_name(db)
