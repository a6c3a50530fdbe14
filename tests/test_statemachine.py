"""The one Machine, without a database: the 409's shape, allowed actions and the role guard (the order machine's
every step is checked in tests/backoffice/orders/test_state_machine.py)."""

from __future__ import annotations

import enum
from types import SimpleNamespace

import pytest

from backoffice.orders.models import OrderStatus
from backoffice.orders.service import ORDER_MACHINE
from scrm.core.errors import Forbidden, InvalidTransition
from scrm.core.statemachine import Machine

pytestmark = pytest.mark.pure


class Light(str, enum.Enum):
    red = "red"
    green = "green"
    amber = "amber"


LIGHT = Machine("light", "信号灯", {
    (Light.red, "go"): Light.green,
    (Light.amber, "go"): Light.green,
    (Light.green, "slow"): Light.amber,
    (Light.amber, "stop"): Light.red,
}, lambda session, change: None, state_labels={Light.red: "红灯", Light.green: "绿灯", Light.amber: "黄灯"},
    action_labels={"go": "放行"}, roles={"go": {"controller"}})


def test_a_refusal_names_the_current_state_and_every_state_the_action_is_allowed_from():
    with pytest.raises(InvalidTransition) as exc:
        LIGHT.check(SimpleNamespace(id=3, status=Light.green), "go")
    assert exc.value.message == "信号灯 #3 当前状态为 绿灯，不能执行「放行」（仅允许在以下状态执行：黄灯、红灯）"
    assert exc.value.to_dict() == {
        "error": "invalid_transition", "message": exc.value.message, "entity": "light", "entity_id": 3,
        "state": "green", "action": "go", "allowed": ["amber", "red"]}


def test_every_machine_refuses_with_the_same_shape():
    with pytest.raises(InvalidTransition) as exc:
        ORDER_MACHINE.check(SimpleNamespace(id=5, status=OrderStatus.settled), "void")
    assert exc.value.message == "订单 #5 当前状态为 已结算，不能执行「作废」（仅允许在以下状态执行：待主管审核、待确认定金、待合同确认）"
    assert set(exc.value.extra) == {"entity", "entity_id", "state", "action", "allowed"}


def test_an_action_allowed_from_nowhere_says_so():
    with pytest.raises(InvalidTransition) as exc:
        LIGHT.target(Light.red, "fly")
    assert exc.value.message.endswith("（仅允许在以下状态执行：无）") and exc.value.extra["allowed"] == []


def test_allowed_actions_follow_the_state_and_the_role_guard():
    amber = SimpleNamespace(id=1, status=Light.amber)
    assert LIGHT.allowed_actions(amber) == ["go", "stop"]
    assert LIGHT.allowed_actions(amber, SimpleNamespace(role="controller")) == ["go", "stop"]
    assert LIGHT.allowed_actions(amber, SimpleNamespace(role="driver")) == ["stop"]
    assert LIGHT.allowed_actions(SimpleNamespace(id=1, status=Light.green), SimpleNamespace(role="driver")) == ["slow"]


def test_the_role_guard_refuses_a_role_not_named_and_leaves_unguarded_actions_open():
    LIGHT.authorize(SimpleNamespace(role="controller"), "go")
    LIGHT.authorize(SimpleNamespace(role="driver"), "stop")
    with pytest.raises(Forbidden) as exc:
        LIGHT.authorize(SimpleNamespace(role="driver"), "go")
    assert exc.value.status_code == 403 and exc.value.message == "信号灯的「放行」只有以下角色可以执行：controller"


def test_a_machine_reads_the_state_attribute_it_is_given():
    by_state = Machine("task", "任务", {(Light.red, "go"): Light.green}, lambda session, change: None,
                       attribute="state")
    assert by_state.allowed_actions(SimpleNamespace(id=1, state=Light.red)) == ["go"]
    assert by_state.check(SimpleNamespace(id=1, state=Light.red), "go") == Light.green
