"""Console fixtures: a signed-in browser-like client (session cookie and the CSRF token of its pages)."""

from __future__ import annotations

import re

import pytest

from scrm.auth import COOKIE_NAME, issue_staff_token
from tests.customers.factories import client, make_customer, make_department, make_employee, products  # noqa: F401

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


@pytest.fixture
def sign_in(client):
    """``sign_in(employee)``: the client now carries that employee's session cookie."""

    def apply(employee):
        client.cookies.clear()
        client.cookies.set(COOKIE_NAME, issue_staff_token(employee.id))
        return client

    return apply
