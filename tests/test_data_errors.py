"""Input the database cannot hold is the caller's mistake: a 422 that says so, never a 500."""


from fastapi.testclient import TestClient

from loan_scrm.app import create_app
from scrm.org.models import Role
from tests.factories.org import auth, make_employee


def test_an_id_past_what_the_database_holds_is_a_422(db):
    admin = make_employee(db, role=Role.admin)
    with TestClient(create_app()) as client:
        answer = client.get(f"/api/customers/{2**63}", headers=auth(admin))
    assert answer.status_code == 422
    assert answer.json() == {"error": "invalid", "message": "a value in the request is out of range"}
