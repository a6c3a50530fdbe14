"""The WeCom address-book mirror and WeCom sign-in, against the sandbox WeCom (no mocks)."""

from sqlalchemy import select

from scrm.core.events import OutboxEvent
from scrm.org import service as org_service
from scrm.org import tasks as org_tasks
from scrm.org.models import Center, Department, EmployeeStatus, Role

from tests.org.test_contact_change import snapshot


def seed_company(sandbox):
    sandbox.seed_department(2, "华东中心", 1)
    sandbox.seed_department(3, "营销一部", 2)
    sandbox.seed_department(4, "一部一组", 3)
    sandbox.seed_department(5, "华南中心", 1)
    sandbox.seed_department(6, "营销二部", 5)
    sandbox.seed_user("boss", "老板", [1])
    sandbox.seed_user("zhangsan", "张三", [3], mobile="13800000001")
    sandbox.seed_user("lisi", "李四", [4, 6])
    sandbox.seed_user("wangwu", "王五", [6], status=2)
    sandbox.seed_user("zhaoliu", "赵六", [6], status=4)


def dept(db, wecom_id):
    return db.scalar(select(Department).where(Department.wecom_id == wecom_id))


def center_of(db, wecom_id):
    d = dept(db, wecom_id)
    return db.get(Center, d.center_id).name if d.center_id else None


def test_sync_mirrors_the_directory(db, sandbox_wecom, wecom_client):
    seed_company(sandbox_wecom)
    report = org_service.sync_from_wecom(db, wecom_client)
    assert (report.departments_created, report.centers_created, report.employees_created) == (6, 2, 5)
    assert {c.name for c in db.scalars(select(Center))} == {"华东中心", "华南中心"}
    assert dept(db, 1).name == "企业" and dept(db, 1).center_id is None
    assert [center_of(db, i) for i in (2, 3, 4, 5, 6)] == ["华东中心", "华东中心", "华东中心", "华南中心", "华南中心"]
    assert dept(db, 4).parent_id == dept(db, 3).id

    by_id = {e.wecom_userid: e for e in org_service.list_employees(db)[0]}
    assert set(by_id) == {"boss", "zhangsan", "lisi", "wangwu", "zhaoliu"}
    assert all((e.role, e.scope.value, e.status) == (Role.sales, "own", EmployeeStatus.active) for e in by_id.values())
    assert by_id["lisi"].department_id == dept(db, 4).id  # the main department
    assert by_id["boss"].department_id == dept(db, 1).id
    assert (by_id["wangwu"].wecom_status, by_id["zhaoliu"].wecom_status) == (2, 4)
    assert by_id["zhangsan"].mobile == "13800000001"
    assert org_service.find_by_mobile(db, "13800000001").wecom_userid == "zhangsan"


def test_second_sync_applies_changes_and_a_third_changes_nothing(db, sandbox_wecom, wecom_client):
    seed_company(sandbox_wecom)
    org_service.sync_from_wecom(db, wecom_client)
    zhangsan = org_service.find_by_wecom_userid(db, "zhangsan")
    org_service.set_role(db, zhangsan.id, Role.supervisor)
    boss = org_service.find_by_wecom_userid(db, "boss")
    org_service.mark_departed(db, boss.id, source="manual")

    # changes made in WeCom while our callback URL was unreachable
    sandbox_wecom.user_updated("zhangsan", name="张三丰", department=[6])
    sandbox_wecom.user_deleted("lisi")
    sandbox_wecom.seed_department(7, "营销三部", 5)
    sandbox_wecom.seed_user("sunqi", "孙七", [7])
    sandbox_wecom.party_updated(2, name="华东大区")

    report = org_service.sync_from_wecom(db, wecom_client)
    assert (report.employees_created, report.employees_departed) == (1, 1)
    zhangsan = org_service.find_by_wecom_userid(db, "zhangsan")
    assert (zhangsan.name, zhangsan.department_id, zhangsan.role) == ("张三丰", dept(db, 6).id, Role.supervisor)
    assert org_service.find_by_wecom_userid(db, "lisi").status == EmployeeStatus.departed
    assert org_service.find_by_wecom_userid(db, "boss").status == EmployeeStatus.departed  # a sync never revives
    assert center_of(db, 7) == "华南中心" and center_of(db, 3) == "华东大区"
    departed = sorted(e.payload["employee_id"] for e in db.scalars(
        select(OutboxEvent).where(OutboxEvent.name == "employee.departed")))
    assert departed == sorted([boss.id, org_service.find_by_wecom_userid(db, "lisi").id])

    before = snapshot(db)
    org_service.sync_from_wecom(db, wecom_client)
    assert snapshot(db) == before


def test_callbacks_from_the_sandbox_agree_with_a_sync(db, sandbox_wecom, wecom_client):
    """The sandbox's own change_contact events, applied twice as the callback handlers apply them, end where a full sync does."""
    sent = [
        sandbox_wecom.party_created(2, "华东中心", 1),
        sandbox_wecom.party_created(3, "营销一部", 2),
        sandbox_wecom.party_created(5, "华南中心", 1),
        sandbox_wecom.user_created("zhangsan", "张三", [3], mobile="13800000001"),
        sandbox_wecom.user_created("lisi", "李四", [3]),
        sandbox_wecom.user_updated("zhangsan", new_userid="zhang.san", name="张三丰"),
        sandbox_wecom.user_updated("lisi", department=[5]),
        sandbox_wecom.party_updated(3, parent_id=5),
        sandbox_wecom.party_created(8, "临时部", 1),
        sandbox_wecom.party_deleted(8),
        sandbox_wecom.user_created("wangwu", "王五", [3]),
        sandbox_wecom.user_deleted("wangwu"),
    ]
    for event in sent:
        fields = event.fields
        assert fields["Event"] == "change_contact"
        org_service.apply_contact_change(db, fields["ChangeType"], dict(fields), client=wecom_client)
        first = snapshot(db)
        org_service.apply_contact_change(db, fields["ChangeType"], dict(fields), client=wecom_client)
        assert snapshot(db) == first, fields["ChangeType"]

    zhang = org_service.find_by_wecom_userid(db, "zhang.san")
    assert zhang.name == "张三丰" and org_service.find_by_wecom_userid(db, "zhangsan") is None
    assert center_of(db, 3) == "华南中心"
    assert dept(db, 8).deleted
    assert org_service.find_by_wecom_userid(db, "wangwu").status == EmployeeStatus.departed

    def mirror():
        db.expire_all()
        employees = sorted((e.wecom_userid, e.name, dept_wecom(e.department_id), e.status.value)
                           for e in org_service.list_employees(db)[0])
        departments = sorted((d.wecom_id, d.name, center_of(db, d.wecom_id)) for d in org_service.list_departments(db))
        return employees, departments

    def dept_wecom(department_id):
        return db.get(Department, department_id).wecom_id if department_id else None

    from_callbacks = mirror()
    org_service.sync_from_wecom(db, wecom_client)
    # the root's name only arrives with a sync (WeCom sends no event for it)
    assert mirror()[0] == from_callbacks[0]
    assert [d for d in mirror()[1] if d[0] != 1] == [d for d in from_callbacks[1] if d[0] != 1]


def test_sync_job_runs_in_its_own_transaction(db, sandbox_wecom):
    seed_company(sandbox_wecom)
    report = org_tasks.sync_org()
    assert report["employees_created"] == 5
    db.expire_all()
    assert org_service.find_by_wecom_userid(db, "zhangsan") is not None


# --- WeCom OAuth sign-in -------------------------------------------------------------------------

def test_authorize_url_carries_corp_redirect_state_and_agent(db, client, sandbox_wecom):
    answer = client.get("/api/auth/wecom/authorize-url",
                        params={"redirect_uri": "https://crm.example.com/wecom/back?x=1", "state": "abc123"})
    assert answer.status_code == 200, answer.text
    url = answer.json()["url"]
    assert url.startswith(f"https://open.weixin.qq.com/connect/oauth2/authorize?appid={sandbox_wecom.corp_id}&")
    assert "redirect_uri=https%3A%2F%2Fcrm.example.com%2Fwecom%2Fback%3Fx%3D1" in url
    assert "scope=snsapi_base" in url and "state=abc123" in url
    assert url.endswith(f"&agentid={sandbox_wecom.agent_id}#wechat_redirect")
    bad = client.get("/api/auth/wecom/authorize-url", params={"redirect_uri": "javascript:alert(1)"})
    assert bad.status_code == 422 and bad.json()["field"] == "redirect_uri"
    assert client.get("/api/auth/wecom/authorize-url",
                      params={"redirect_uri": "https://a.b/", "state": "no spaces"}).status_code == 422


def test_wecom_sign_in(db, client, sandbox_wecom, wecom_client):
    seed_company(sandbox_wecom)
    org_service.sync_from_wecom(db, wecom_client)
    code = sandbox_wecom.oauth_code("zhangsan")
    answer = client.post("/api/auth/wecom", json={"code": code})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["employee"]["wecom_userid"] == "zhangsan" and body["employee"]["mobile"] == "138****0001"
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json()["wecom_userid"] == "zhangsan"
    reused = client.post("/api/auth/wecom", json={"code": code})
    assert reused.status_code == 401 and "sign in again" in reused.json()["message"]
    assert client.post("/api/auth/wecom", json={"code": "x", "extra": 1}).status_code == 422


def test_wecom_sign_in_of_a_member_not_yet_synced_creates_them(db, client, sandbox_wecom):
    sandbox_wecom.seed_department(2, "华东中心", 1)
    sandbox_wecom.seed_user("newbie", "新人", [2])
    answer = client.post("/api/auth/wecom", json={"code": sandbox_wecom.oauth_code("newbie")})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["employee"]["role"], answer.json()["employee"]["scope"]) == ("sales", "own")
    newbie = org_service.find_by_wecom_userid(db, "newbie")
    assert newbie.name == "新人" and newbie.department_id == dept(db, 2).id


def test_wecom_sign_in_refuses_departed_and_forged_codes(db, client, sandbox_wecom, wecom_client):
    seed_company(sandbox_wecom)
    org_service.sync_from_wecom(db, wecom_client)
    org_service.mark_departed(db, org_service.find_by_wecom_userid(db, "lisi").id)
    db.flush()
    departed = client.post("/api/auth/wecom", json={"code": sandbox_wecom.oauth_code("lisi")})
    assert departed.status_code == 401 and departed.json()["message"] == "this account is no longer active"
    forged = client.post("/api/auth/wecom", json={"code": "not-a-code-wecom-issued"})
    assert forged.status_code == 401 and "invalid" in forged.json()["message"]


def test_a_user_id_wecom_does_not_know_gets_no_account(db, sandbox_wecom, wecom_client):
    import pytest

    from scrm.core.errors import Unauthorized

    with pytest.raises(Unauthorized, match="no staff account"):
        org_service.employee_for_wecom_user(db, "ghost", wecom_client)
    assert org_service.find_by_wecom_userid(db, "ghost") is None
