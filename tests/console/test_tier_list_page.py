"""The tier list on the 分层规则 page: a manager adds, edits and deletes tiers; a bad colour sits next to its field;
deleting a tier that still holds customers is refused naming how many; the customers list filters by a new tier."""

from __future__ import annotations

from scrm.groups import service as group_service
from scrm.groups.models import CustomerTier
from scrm.org.models import Role
from tests.console.conftest import csrf_of
from tests.factories.customers import make_customer
from tests.factories.org import make_department, make_employee


def test_manager_edits_the_tier_list(client, db, sign_in):
    dept = make_department(db)
    manager = make_employee(db, "王经理", role=Role.manager, department=dept)
    sales = make_employee(db, "小李", department=dept)
    held = make_customer(db, sales, "在B层的客户")
    db.add(CustomerTier(customer_id=held.id, tier="B"))
    db.flush()
    browser = sign_in(manager)
    page = browser.get("/console/rules/tiers")
    assert page.status_code == 200 and 'data-tier-key="blocked"' in page.text
    token = csrf_of(page.text)

    added = browser.post("/console/rules/tier-list", data={"csrf_token": token, "new_key": "VIP", "new_name": "贵宾",
                                                           "new_position": "5", "new_colour": "#8e24aa"},
                         follow_redirects=False)
    assert added.status_code == 303, added.text
    assert list(group_service.tier_names(db))[:2] == ["VIP", "A"]
    bad = browser.post("/console/rules/tier-list", data={"csrf_token": token, "new_key": "V2", "new_name": "x",
                                                         "new_colour": "purple"})
    assert bad.status_code == 422 and 'id="err-new_colour"' in bad.text and "#RRGGBB" in bad.text

    renamed = browser.post("/console/rules/tier-list/VIP", data={"csrf_token": token, "name": "至尊",
                                                                 "position": "5", "colour": "#8e24aa"},
                           follow_redirects=False)
    assert renamed.status_code == 303 and group_service.tier_names(db)["VIP"] == "至尊"

    refused = browser.post("/console/rules/tier-list/B/delete", data={"csrf_token": token})
    assert refused.status_code == 409 and "还有1 位客户在该分层" in refused.text
    assert "B" in group_service.tier_names(db)
    assert browser.post("/console/rules/tier-list/VIP/delete", data={"csrf_token": token},
                        follow_redirects=False).status_code == 303
    assert "VIP" not in group_service.tier_names(db)

    listing = browser.get("/console/customers?tier=B")
    assert "在B层的客户" in listing.text and "B 类" in listing.text
    assert sign_in(sales).post("/console/rules/tier-list", data={"csrf_token": token, "new_key": "X",
                                                                 "new_name": "x"}).status_code == 403
