"""The dashboard's counts are kept briefly per viewer and filters, but a new customer shows at once."""

from __future__ import annotations

from scrm.customers.models import Stage
from scrm.org.models import Role
from tests.factories.customers import make_customer
from tests.factories.org import make_department, make_employee


def _leads(html: str) -> str:
    return html.split("客户漏斗")[1].split("</table>")[0].split("<td>线索</td>")[1].split("</tr>")[0]


def test_a_new_customer_counts_at_once_on_the_all_time_dashboard(db, client, sign_in):
    dept = make_department(db)
    manager = make_employee(db, role=Role.manager, department=dept)
    seller = make_employee(db, "小郑", department=dept)
    make_customer(db, seller, stage=Stage.lead)
    sign_in(manager)
    first = client.get("/console/dashboards", params={"since": "2000-01-01"})
    assert _leads(first.text).startswith("<td>1</td><td>1</td>") and 'id="counted-at"' in first.text
    make_customer(db, seller, stage=Stage.lead)
    again = client.get("/console/dashboards", params={"since": "2000-01-01"})
    assert _leads(again.text).startswith("<td>2</td><td>2</td>")
