"""An amount is a plain number of yuan with at most two decimals, or a 422 naming the field; never a 500
(issue 15, item 10: "1e30" on a debit crashed the fen conversion)."""

from __future__ import annotations

import pytest

from tests.factories.org import auth

BAD = ["1e30", 1e30, "1E+2", "NaN", "Infinity", "-Infinity", "sNaN", "1.234", "12345678901234567890123456789012",
       "1000000000.01", "-5", "0x10", "１００", "", True]


@pytest.mark.parametrize("confirm", [False, True], ids=["preview", "create"])
@pytest.mark.parametrize("amount", BAD, ids=repr)
def test_a_bad_debit_amount_is_a_422_on_amount(pay_client, people, amount, confirm):
    answer = pay_client.post("/api/backoffice/debits", headers=auth(people.finance),
                             json={"customer_id": people.bob.id, "due_key": "settlement:1", "amount": amount,
                                   "confirm": confirm})
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "amount" and answer.json()["message"]
