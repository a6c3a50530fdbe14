"""Staff and customer tokens are separate kinds: neither opens the other's endpoints."""

import pytest

from scrm import auth
from scrm.core.errors import Unauthorized

pytestmark = pytest.mark.pure


def test_customer_token_round_trips_and_is_not_a_staff_token():
    token = auth.issue_customer_token(42)
    assert auth.read_customer_token(token) == 42
    with pytest.raises(Unauthorized):
        auth.read_staff_token(token)


def test_staff_token_is_not_a_customer_token():
    with pytest.raises(Unauthorized):
        auth.read_customer_token(auth.issue_staff_token(7))


def test_expired_and_tampered_customer_tokens_are_refused():
    with pytest.raises(Unauthorized, match="expired"):
        auth.read_customer_token(auth.issue_customer_token(5, ttl_s=-10))
    body, sig = auth.issue_customer_token(5).rsplit(".", 1)
    forged = body.replace("c5.", "c6.") + "." + sig
    with pytest.raises(Unauthorized, match="signature"):
        auth.read_customer_token(forged)
