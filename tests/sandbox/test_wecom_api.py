"""The sandbox WeCom's API, called over HTTP the way any WeCom client calls the real one."""

from __future__ import annotations

import threading

import httpx
import pytest

from scrm.core.config import SANDBOX_WECOM
from scrm.sandbox.wecom import SandboxWecom


@pytest.fixture
def sandbox():
    with SandboxWecom() as sb:
        sb.seed_department(2, "营销中心")
        sb.seed_department(3, "营销一部", parent_id=2)
        sb.seed_user("zhangsan", "张三", [3], mobile="13800000001", position="营销专员")
        sb.seed_user("lisi", "李四", [2])
        yield sb


class Api:
    def __init__(self, sandbox: SandboxWecom):
        self.sandbox = sandbox
        self.http = httpx.Client(base_url=sandbox.base_url, timeout=10)
        self.control = httpx.Client(base_url=sandbox.control_url, timeout=10)
        self.token = self.gettoken()["access_token"]

    def gettoken(self, corpid=SANDBOX_WECOM["corp_id"], secret=SANDBOX_WECOM["secret"]) -> dict:
        return self.http.get("gettoken", params={"corpid": corpid, "corpsecret": secret}).json()

    def get(self, path: str, **params) -> dict:
        return self.http.get(path, params={"access_token": self.token, **params}).json()

    def post(self, path: str, body: dict) -> dict:
        return self.http.post(path, params={"access_token": self.token}, json=body).json()


@pytest.fixture
def api(sandbox):
    return Api(sandbox)


def test_gettoken_checks_the_credentials(api):
    assert api.gettoken(secret="wrong")["errcode"] == 40001
    assert api.gettoken(corpid="wwnobody")["errcode"] == 40013
    again = api.gettoken()
    assert again["errcode"] == 0 and again["access_token"] == api.token  # same token while it is valid
    assert 0 < again["expires_in"] <= 7200


def test_token_expires_after_its_ttl_then_a_new_one_is_issued(api, sandbox):
    assert api.get("user/get", userid="zhangsan")["errcode"] == 0
    sandbox.advance(7201)
    assert api.get("user/get", userid="zhangsan")["errcode"] == 42001
    fresh = api.gettoken()["access_token"]
    assert fresh != api.token
    api.token = "made-up"
    assert api.get("user/get", userid="zhangsan")["errcode"] == 40014
    assert api.http.get("user/get", params={"userid": "zhangsan"}).json()["errcode"] == 41001


def test_request_log_hides_the_token_and_secret_and_can_be_cleared(api, sandbox):
    api.post("externalcontact/groupchat/list", {"limit": 10})
    log = sandbox.request_log()
    assert [e["path"] for e in log] == ["gettoken", "externalcontact/groupchat/list"]
    assert log[0]["query"] == {"corpid": SANDBOX_WECOM["corp_id"], "corpsecret": "***"}
    assert log[1]["query"] == {} and log[1]["body"] == {"limit": 10} and log[1]["errcode"] == 0
    assert api.token not in str(log)
    api.control.delete("/sandbox/requests")
    assert sandbox.request_log() == []


def test_injected_faults_answer_instead_of_the_api_then_stop(api, sandbox):
    sandbox.inject("user/get", errcode=45009, times=2)
    sandbox.inject("/cgi-bin/department/list", http_status=503)
    assert [api.get("user/get", userid="zhangsan")["errcode"] for _ in range(3)] == [45009, 45009, 0]
    assert api.http.get("department/list", params={"access_token": api.token}).status_code == 503
    assert api.get("department/list")["errcode"] == 0
    # over HTTP too
    assert api.control.post("/sandbox/faults", json={"path": "user/get", "errcode": 60111}).status_code == 200
    assert api.get("user/get", userid="zhangsan")["errcode"] == 60111
    assert [e["errcode"] for e in sandbox.request_log("user/get")] == [45009, 45009, 0, 60111]


def test_a_delay_alone_still_gives_the_real_answer(api, sandbox):
    sandbox.inject("user/get", delay_s=0.2)
    assert api.get("user/get", userid="zhangsan")["name"] == "张三"


def test_per_minute_budget_answers_45009_until_the_next_minute(sandbox):
    sandbox.calls_per_minute = 3
    api = Api(sandbox)  # gettoken does not count
    assert [api.get("user/get", userid="lisi")["errcode"] for _ in range(4)] == [0, 0, 0, 45009]
    sandbox.advance(60)
    assert api.get("user/get", userid="lisi")["errcode"] == 0


def test_mark_tag_beyond_five_concurrent_calls_gets_45033(sandbox):
    tags = sandbox.seed_tag_group("意向", ["高"])["tags"]
    externals = [sandbox.seed_external_contact(f"客户{i}", ["zhangsan"]) for i in range(8)]
    sandbox.mark_tag_latency_s = 1.5
    api = Api(sandbox)
    barrier = threading.Barrier(len(externals))
    codes = []

    def mark(ext):
        barrier.wait()
        codes.append(api.post("externalcontact/mark_tag",
                              {"userid": "zhangsan", "external_userid": ext, "add_tag": [tags["高"]]})["errcode"])

    threads = [threading.Thread(target=mark, args=(e,)) for e in externals]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [0] * 5 + [45033] * 3
    assert sandbox.peak_concurrency("externalcontact/mark_tag") == 5


def test_directory_shapes(api, sandbox):
    user = api.get("user/get", userid="zhangsan")
    assert user["errcode"] == 0 and user["department"] == [3] and user["mobile"] == "13800000001"
    assert api.get("user/get", userid="nobody")["errcode"] == 60111
    assert [u["userid"] for u in api.get("user/list", department_id=2)["userlist"]] == ["lisi"]
    deep = api.get("user/simplelist", department_id=2, fetch_child=1)["userlist"]
    assert {u["userid"] for u in deep} == {"zhangsan", "lisi"} and set(deep[0]) == {
        "userid", "name", "department", "open_userid"}
    assert api.get("user/list", department_id=99)["errcode"] == 60123
    assert [d["id"] for d in api.get("department/list")["department"]] == [1, 2, 3]
    assert [(d["id"], d["parentid"]) for d in api.get("department/list", id=2)["department"]] == [(2, 1), (3, 2)]


def test_oauth_code_gives_the_userid_once(api, sandbox):
    code = sandbox.oauth_code("zhangsan")
    assert api.get("auth/getuserinfo", code=code)["userid"] == "zhangsan"
    assert api.get("auth/getuserinfo", code=code)["errcode"] == 40029
    assert api.get("user/getuserinfo", code=sandbox.oauth_code("lisi"))["UserId"] == "lisi"


def test_message_send_is_recorded_and_reports_invalid_users(api, sandbox):
    answer = api.post("message/send", {"touser": "zhangsan|ghost", "msgtype": "text",
                                       "agentid": SANDBOX_WECOM["agent_id"], "text": {"content": "今日待跟进 3 人"}})
    assert answer["errcode"] == 0 and answer["invaliduser"] == "ghost"
    assert sandbox.messages[0]["touser"] == ["zhangsan"]
    assert sandbox.messages[0]["text"] == {"content": "今日待跟进 3 人"}
    assert api.post("message/send", {"touser": "zhangsan", "msgtype": "text", "agentid": 1,
                                     "text": {"content": "x"}})["errcode"] == 40056


def test_customers_and_follow_users(api, sandbox):
    tags = sandbox.seed_tag_group("贷款类型", ["房贷", "车贷"])["tags"]
    ext = sandbox.seed_external_contact("王五", [
        {"userid": "zhangsan", "remark": "王总", "remark_mobiles": ["13900000002"], "state": "douyin-1",
         "tags": ["房贷"]},
        "lisi",
    ])
    detail = api.get("externalcontact/get", external_userid=ext)
    assert detail["external_contact"]["name"] == "王五"
    first = detail["follow_user"][0]
    assert (first["userid"], first["remark_mobiles"], first["state"]) == ("zhangsan", ["13900000002"], "douyin-1")
    assert first["tags"] == [{"group_name": "贷款类型", "tag_name": "房贷", "tag_id": tags["房贷"], "type": 1}]
    assert api.get("externalcontact/list", userid="zhangsan")["external_userid"] == [ext]
    batch = api.post("externalcontact/batch/get_by_user", {"userid_list": ["zhangsan", "lisi"], "limit": 1})
    assert len(batch["external_contact_list"]) == 1 and batch["next_cursor"]
    rest = api.post("externalcontact/batch/get_by_user", {"userid_list": ["zhangsan", "lisi"], "limit": 1,
                                                          "cursor": batch["next_cursor"]})
    assert rest["external_contact_list"][0]["follow_info"]["userid"] == "lisi" and rest["next_cursor"] == ""
    assert batch["external_contact_list"][0]["follow_info"]["tag_id"] == [tags["房贷"]]
    assert api.get("externalcontact/get", external_userid="wmnobody")["errcode"] == 40096
    assert set(api.get("externalcontact/get_follow_user_list")["follow_user"]) == {"zhangsan", "lisi"}


def test_contact_ways(api):
    made = api.post("externalcontact/add_contact_way", {"type": 1, "scene": 2, "state": "channel-7",
                                                         "user": ["zhangsan"]})
    assert made["errcode"] == 0 and made["qr_code"]
    way = api.post("externalcontact/get_contact_way", {"config_id": made["config_id"]})["contact_way"]
    assert (way["state"], way["user"]) == ("channel-7", ["zhangsan"])
    assert api.post("externalcontact/update_contact_way", {"config_id": made["config_id"],
                                                           "state": "channel-8"})["errcode"] == 0
    assert api.post("externalcontact/get_contact_way", {"config_id": made["config_id"]})["contact_way"]["state"] == \
        "channel-8"
    assert api.post("externalcontact/add_contact_way", {"type": 1, "scene": 2, "state": "s" * 31,
                                                        "user": ["zhangsan"]})["errcode"] == 40058
    assert api.post("externalcontact/del_contact_way", {"config_id": made["config_id"]})["errcode"] == 0
    assert api.post("externalcontact/get_contact_way", {"config_id": made["config_id"]})["errcode"] != 0


def test_corp_tags_an_app_edits_only_its_own(api, sandbox):
    admin = sandbox.seed_tag_group("来源", ["抖音"])
    made = api.post("externalcontact/add_corp_tag", {"group_name": "资质", "tag": [{"name": "有房"}, {"name": "有车"}]})
    assert made["errcode"] == 0 and [t["name"] for t in made["tag_group"]["tag"]] == ["有房", "有车"]
    mine = made["tag_group"]["tag"][0]["id"]
    assert api.post("externalcontact/edit_corp_tag", {"id": mine, "name": "有全款房"})["errcode"] == 0
    assert api.post("externalcontact/edit_corp_tag", {"id": admin["tags"]["抖音"], "name": "x"})["errcode"] == 48002
    assert api.post("externalcontact/del_corp_tag", {"group_id": [admin["group_id"]]})["errcode"] == 48002
    assert api.post("externalcontact/add_corp_tag", {"group_name": "资质", "tag": [{"name": "长" * 31}]})["errcode"] \
        == 40058
    assert api.post("externalcontact/edit_corp_tag", {"id": mine, "name": "长" * 31})["errcode"] == 40058
    assert api.post("externalcontact/del_corp_tag", {"tag_id": [mine]})["errcode"] == 0
    names = {t["name"] for g in api.post("externalcontact/get_corp_tag_list", {})["tag_group"] for t in g["tag"]}
    assert names == {"抖音", "有车"}


def test_mark_tag_needs_a_follow_relation_and_known_tags(api, sandbox):
    tags = sandbox.seed_tag_group("意向", ["高", "低"])["tags"]
    ext = sandbox.seed_external_contact("赵六", ["zhangsan"])
    assert api.post("externalcontact/mark_tag", {"userid": "zhangsan", "external_userid": ext,
                                                 "add_tag": [tags["高"]]})["errcode"] == 0
    assert api.post("externalcontact/mark_tag", {"userid": "lisi", "external_userid": ext,
                                                 "add_tag": [tags["高"]]})["errcode"] == 84061
    assert api.post("externalcontact/mark_tag", {"userid": "zhangsan", "external_userid": ext,
                                                 "add_tag": ["etnope"]})["errcode"] == 40068
    assert api.post("externalcontact/mark_tag", {"userid": "zhangsan", "external_userid": ext,
                                                 "add_tag": [tags["低"]], "remove_tag": [tags["高"]]})["errcode"] == 0
    assert [t["tag_name"] for t in sandbox.contact(ext)["follow_user"][0]["tags"]] == ["低"]


def test_mass_message_results_follow_the_senders_confirmation(api, sandbox):
    a = sandbox.seed_external_contact("甲", ["zhangsan"])
    b = sandbox.seed_external_contact("乙", ["lisi"])
    made = api.post("externalcontact/add_msg_template", {"chat_type": "single", "sender": "zhangsan",
                                                          "external_userid": [a, b], "text": {"content": "新产品"}})
    assert made["errcode"] == 0 and made["fail_list"] == [b]
    result = api.post("externalcontact/get_groupmsg_send_result", {"msgid": made["msgid"], "userid": "zhangsan"})
    assert [(r["external_userid"], r["status"]) for r in result["send_list"]] == [(a, 0)]
    sandbox.confirm_group_msg(made["msgid"])
    result = api.post("externalcontact/get_groupmsg_send_result", {"msgid": made["msgid"], "userid": "zhangsan"})
    assert result["send_list"][0]["status"] == 1 and result["send_list"][0]["send_time"] > 0


def test_groups(api, sandbox):
    ext = sandbox.seed_external_contact("客户甲", ["zhangsan"])
    chat_id = sandbox.seed_group("zhangsan", "A类客户群", [ext, "lisi"], notice="欢迎")
    listed = api.post("externalcontact/groupchat/list", {"limit": 100, "owner_filter": {"userid_list": ["zhangsan"]}})
    assert listed["group_chat_list"] == [{"chat_id": chat_id, "status": 0}]
    chat = api.post("externalcontact/groupchat/get", {"chat_id": chat_id, "need_name": 1})["group_chat"]
    assert (chat["name"], chat["owner"], chat["notice"]) == ("A类客户群", "zhangsan", "欢迎")
    assert {(m["userid"], m["type"]) for m in chat["member_list"]} == {("zhangsan", 1), ("lisi", 1), (ext, 2)}
    assert api.post("externalcontact/groupchat/list", {"limit": 0})["errcode"] == 40058


def test_resigned_handover_of_customers_and_groups(api, sandbox):
    sandbox.seed_user("wangwu", "王五", [2])
    customers = [sandbox.seed_external_contact(f"客户{i}", ["zhangsan"]) for i in range(3)]
    chat_id = sandbox.seed_group("zhangsan", "老群", customers[:1])
    other_chat = sandbox.seed_group("lisi", "李四的群")
    # not resigned yet: per-customer 40097, and groups refuse
    early = api.post("externalcontact/resigned/transfer_customer", {
        "handover_userid": "zhangsan", "takeover_userid": "lisi", "external_userid": customers[:1]})
    assert early["errcode"] == 0 and early["customer"][0]["errcode"] == 40097

    sandbox.user_deleted("zhangsan")  # no callback_url: state only
    unassigned = api.post("externalcontact/get_unassigned_list", {"page_size": 2})
    assert len(unassigned["info"]) == 2 and not unassigned["is_last"]
    assert unassigned["info"][0]["handover_userid"] == "zhangsan" and unassigned["info"][0]["dimission_time"] > 0

    started = api.post("externalcontact/resigned/transfer_customer", {
        "handover_userid": "zhangsan", "takeover_userid": "lisi", "external_userid": customers + ["wmghost"]})
    assert [c["errcode"] for c in started["customer"]] == [0, 0, 0, 40096]
    again = api.post("externalcontact/resigned/transfer_customer", {
        "handover_userid": "zhangsan", "takeover_userid": "wangwu", "external_userid": customers[:1]})
    assert again["customer"][0]["errcode"] == 40100
    assert api.post("externalcontact/resigned/transfer_customer", {
        "handover_userid": "zhangsan", "takeover_userid": "lisi",
        "external_userid": [f"wm{i}" for i in range(101)]})["errcode"] == 40058

    waiting = api.post("externalcontact/resigned/transfer_result",
                       {"handover_userid": "zhangsan", "takeover_userid": "lisi"})["customer"]
    assert {c["status"] for c in waiting} == {2}
    assert api.post("externalcontact/get_unassigned_list", {})["info"] == []

    sandbox.complete_transfers(1, external_userids=customers[:2])
    sandbox.complete_transfers(3, external_userids=customers[2:])
    done = api.post("externalcontact/resigned/transfer_result",
                    {"handover_userid": "zhangsan", "takeover_userid": "lisi"})["customer"]
    assert [c["status"] for c in done] == [1, 1, 3]
    assert [f["userid"] for f in sandbox.contact(customers[0])["follow_user"]] == ["lisi"]

    moved = api.post("externalcontact/groupchat/transfer", {"chat_id_list": [chat_id, other_chat, "wrghost"],
                                                            "new_owner": "wangwu"})
    assert [(f["chat_id"], f["errcode"]) for f in moved["failed_chat_list"]] == [(other_chat, 90500),
                                                                                ("wrghost", 90501)]
    assert api.post("externalcontact/groupchat/get", {"chat_id": chat_id})["group_chat"]["owner"] == "wangwu"


def test_onjob_transfer_moves_the_customer_after_acceptance(api, sandbox):
    ext = sandbox.seed_external_contact("客户", ["zhangsan"])
    started = api.post("externalcontact/transfer_customer", {
        "handover_userid": "zhangsan", "takeover_userid": "lisi", "external_userid": [ext],
        "transfer_success_msg": "您好，后续由李四为您服务"})
    assert started["customer"] == [{"external_userid": ext, "errcode": 0}]
    sandbox.complete_transfers(1)
    result = api.post("externalcontact/transfer_result", {"handover_userid": "zhangsan", "takeover_userid": "lisi"})
    assert result["customer"][0]["status"] == 1
    assert [f["userid"] for f in sandbox.contact(ext)["follow_user"]] == ["lisi"]


def test_seeding_and_simulating_over_http(api, sandbox):
    http = api.control
    assert http.post("/sandbox/seed/user", json={"userid": "wangwu", "name": "王五", "department": [2]}).status_code \
        == 200
    assert api.get("user/get", userid="wangwu")["name"] == "王五"
    answer = http.post("/sandbox/simulate/contact_added", json={"userid": "wangwu", "state": "ad-9"}).json()
    fields = answer["events"][0]["fields"]
    assert (fields["ChangeType"], fields["State"]) == ("add_external_contact", "ad-9")
    assert api.get("externalcontact/get", external_userid=fields["ExternalUserID"])["errcode"] == 0
    assert http.post("/sandbox/simulate/not_a_thing", json={}).status_code == 404
    http.post("/sandbox/tokens/expire")
    assert api.get("user/get", userid="wangwu")["errcode"] == 42001
    assert any(u["userid"] == "wangwu" for u in http.get("/sandbox/state").json()["users"])
