"""Phone and ID numbers given to the service appear nowhere in clear: not in any answer (except the
audited full view), not in the logs, not in any column of any table."""

from __future__ import annotations

import logging

from scrm.org.models import Role
from tests.factories.org import auth, make_department, make_employee
from tests.privacy.scan import stored_matches

PHONES = ["13812345671", "15987654322", "18600011223"]
ID_NOS = ["11010519491231002X", "110101199003074514", "440304198001011239"]


def clear_values_in(text: str) -> list[str]:
    return [v for v in PHONES + ID_NOS if v in text]


def test_personal_numbers_are_only_stored_encrypted_and_shown_masked(db, client, products, caplog):
    caplog.set_level(logging.DEBUG)
    team = make_department(db)
    sales = make_employee(db, department=team)
    manager = make_employee(db, role=Role.manager, department=team)
    answers = []
    for i, (phone, id_no) in enumerate(zip(PHONES, ID_NOS)):
        created = client.post("/api/customers", headers=auth(sales), json={
            "name": f"测试{i}", "phone": phone, "id_no": id_no, "city": "济南", "product_code": "credit",
            "amount": "200000", "term_months": 36,
            "custom_fields": {"employer_type": "private", "monthly_salary": "12000", "social_security_months": 36}})
        assert created.status_code == 201, created.text
        cid = created.json()["id"]
        answers.append(created.text)
        answers.append(client.post(f"/api/customers/{cid}/follow-ups", headers=auth(sales),
                                   json={"kind": "call", "content": "客户说征信良好，想贷二十万"}).text)
        for url in (f"/api/customers/{cid}", f"/api/customers/{cid}/timeline", f"/api/customers/{cid}/follow-ups"):
            answers.append(client.get(url, headers=auth(manager)).text)
        # a second salesperson entering the same phone is told who owns it, without seeing the number
        answers.append(client.post("/api/customers", headers=auth(manager), json={
            "name": "重复", "phone": phone, "city": "济南"}).text)
    answers.append(client.get("/api/customers", params={"phone": PHONES[0]}, headers=auth(manager)).text)
    answers.append(client.get("/api/customers", params={"phone_tail": PHONES[1][-4:]}, headers=auth(manager)).text)
    full = client.get(f"/api/customers/{cid}/pii", params={"reason": "核对合同"}, headers=auth(manager))
    assert full.json()["phone"] == PHONES[-1]  # the audited full view is the one place they appear

    assert all(not clear_values_in(a) for a in answers), [clear_values_in(a) for a in answers]
    assert "138****5671" in "".join(answers)
    # the test client's own request log (httpx) shows the URLs it sent; the service's logs are the rest
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert not clear_values_in(logged)

    assert stored_matches(db, PHONES + ID_NOS) == []
