"""Domain events are declared per module and checked where they are built: a wrong payload fails in the
emitter, and every subscription names a declared event its handler takes."""

from __future__ import annotations

import inspect
import typing
from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from backoffice.settlements.events import SettlementClosed
from loan_scrm import wiring
from scrm.core import events
from scrm.customers.events import CustomerCreated, CustomerErased

pytestmark = pytest.mark.pure


def test_a_payload_of_the_wrong_shape_fails_where_it_is_built():
    with pytest.raises(ValidationError) as missing:
        CustomerCreated(customer_id=1, source="wecom", owner_id=None)
    assert missing.value.errors()[0]["loc"] == ("channel_id",)
    with pytest.raises(ValidationError) as wrong_type:
        CustomerCreated(customer_id="1", source="wecom", owner_id=None, channel_id=None)
    assert wrong_type.value.errors()[0]["loc"] == ("customer_id",)
    with pytest.raises(ValidationError) as extra:
        CustomerErased(customer_id=1, external_ids=[], files=[], phone="13800138000")
    assert extra.value.errors()[0]["loc"] == ("phone",)


def test_emit_takes_only_a_declared_event():
    # it fails before the session is touched: nothing is written for a bad emit
    with pytest.raises(TypeError):
        events.emit(None, "customer.created", {"customer_id": 1})
    with pytest.raises(TypeError):
        events.emit_many(None, [{"customer_id": 1}])
    with pytest.raises(events.UndeclaredEvent):
        events.declared("customer.creatd")


def test_an_event_is_declared_once_under_its_name():
    assert events.declared("settlement.closed") is SettlementClosed
    with pytest.raises(TypeError):
        class Again(events.Event):
            name = "settlement.closed"
    with pytest.raises(TypeError):
        class Nameless(events.Event):
            customer_id: int
    with pytest.raises(events.UndeclaredEvent):
        events.subscribe("settlement.closed", lambda session, event: None)


def test_an_event_reads_back_from_the_outbox_as_it_was_emitted():
    closed = SettlementClosed(settlement_id=1, order_id=2, customer_id=3, product_code="credit", funder_type="bank",
                              service_fee_collected_fen=486_000, disbursed_amount_fen=None,
                              salesperson_employee_id=None, closed_at=datetime(2026, 11, 11, 2, tzinfo=timezone.utc))
    stored = closed.payload()
    assert stored["closed_at"] == "2026-11-11T02:00:00+00:00"
    assert SettlementClosed.model_validate(stored, strict=False) == closed
    with pytest.raises(ValidationError):
        closed.customer_id = 4  # frozen


def test_every_subscription_names_a_declared_event_its_handlers_take():
    assert wiring.SUBSCRIPTIONS
    for event, handlers in wiring.SUBSCRIPTIONS.items():
        assert isinstance(event, type) and issubclass(event, events.Event), event
        assert events.declared(event.name) is event, event.name
        for handler in handlers:
            params = list(inspect.signature(handler).parameters)
            assert len(params) == 2, handler
            taken = typing.get_type_hints(handler)[params[1]]
            # a module below the emitter's layer cannot import its class, and takes the Event it is handed
            assert taken in (event, events.Event), (event.name, handler.__qualname__, taken)
