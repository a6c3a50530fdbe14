"""Attribution: first touch within the window, no self-referral, no cycles; WeCom channel codes."""

from __future__ import annotations

from datetime import timedelta

from scrm.core.db import utcnow
from scrm.customers import service as customer_service
from scrm.customers.models import Customer
from scrm.customers.schemas import ContactInfo, FollowInfo
from scrm.referral import service as referral_service
from scrm.referral.models import Withdrawal, WithdrawalMethod, WithdrawalState
from tests.factories.customers import make_customer, phone
from tests.factories.org import make_employee
from tests.factories.referral import refer
from tests.miniprogram_api.helpers import login


def _try(db, referrer, referred):
    return referral_service.attribute(db, referred, referral_service.code_for(db, referrer).code, source="miniprogram")


def test_first_touch_wins(db):
    a, b, friend = make_customer(db), make_customer(db), make_customer(db)
    assert _try(db, a, friend).referral.referrer_customer_id == a.id
    second = _try(db, b, friend)
    assert second.rejected == "already_referred" and second.referral.referrer_customer_id == a.id
    assert _try(db, a, friend).rejected is None  # the same touch again is no rejection


def test_a_customer_older_than_the_window_cannot_be_claimed(db, settings_env):
    settings_env(SCRM_REFERRAL_WINDOW_DAYS="30")
    a = make_customer(db)
    old = make_customer(db, created_at=utcnow() - timedelta(days=31))
    assert _try(db, a, old).rejected == "outside_window"
    assert _try(db, a, make_customer(db, created_at=utcnow() - timedelta(days=29))).referral is not None


def test_no_self_referral_by_phone_unionid_id_number_or_bank_card(db):
    id_hash = customer_service.id_no_hash("110101199003074578")
    me = make_customer(db, phone=phone(1), unionid="u_me", id_no_hash=id_hash)
    assert _try(db, me, me).rejected == "self_referral"
    assert _try(db, me, make_customer(db, id_no_hash=id_hash)).rejected == "self_referral"
    # phone and unionid are unique per record; a record not yet stored may still carry them
    assert referral_service.same_person(db, me, Customer(id=-1, phone_hash=me.phone_hash))
    assert referral_service.same_person(db, me, Customer(id=-2, unionid="u_me"))
    carded = make_customer(db)
    card = referral_service.card_hash("6225880137716003")
    for c in (me, carded):
        db.add(Withdrawal(customer_id=c.id, request_id=f"x{c.id}", amount_fen=0, method=WithdrawalMethod.bank,
                          state=WithdrawalState.rejected, bank_card_hash=card, payout={}))
    db.flush()
    assert _try(db, me, carded).rejected == "self_referral"
    assert referral_service.bank_card_hashes(db, me.id, ["mandate-card"]) == {"mandate-card", card}
    assert _try(db, me, make_customer(db)).referral is not None


def test_referrals_form_no_cycles(db):
    a, b, c = make_customer(db), make_customer(db), make_customer(db)
    refer(db, a, b)
    refer(db, b, c)
    assert _try(db, c, a).rejected == "cycle"
    assert _try(db, b, a).rejected == "cycle"
    assert referral_service.upline(db, c.id, 2) == [b.id, a.id]
    assert referral_service.upline(db, c.id, 1) == [b.id]


def test_a_friend_signing_in_through_the_share_code_is_referred(db, client, sandbox_wxa):
    headers, referrer = login(client, sandbox_wxa)
    centre = client.get("/mp/referral", headers=headers).json()
    assert centre["scene"] == "r=" + centre["code"]
    image = client.get("/mp/referral/qrcode", headers=headers)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    assert sandbox_wxa.request_log("wxa/getwxacodeunlimit")[-1]["body"]["scene"] == centre["scene"]
    _, friend = login(client, sandbox_wxa, scene=centre["scene"])
    assert friend["referral"] == {"referrer_customer_id": referrer["customer"]["id"], "rejected": None}
    # the referrer scanning their own code is no referral
    openid = db.get(Customer, referrer["customer"]["id"]).mp_openid
    _, again = login(client, sandbox_wxa, openid=openid, scene=centre["scene"])
    assert again["referral"]["rejected"] == "self_referral"
    friends = client.get("/mp/referral/friends", headers=headers).json()
    assert len(friends) == 1 and friends[0]["stage"] == "not_applied"


def test_a_friend_adding_the_salesperson_through_the_wecom_code_is_referred(db, client, sandbox_wxa):
    sales = make_employee(db)
    referrer = make_customer(db, sales, name="推荐人")
    channel = referral_service.wecom_channel_for(db, referrer)
    assert channel.state.startswith("ref_") and channel.referrer_customer_id == referrer.id
    db.commit()
    result = customer_service.upsert_wecom_contact(
        db, ContactInfo(external_userid="wm_friend", name="朋友"),
        [FollowInfo(userid=sales.wecom_userid, state=channel.state)], event_key="add:friend")
    db.commit()
    assert referral_service.referrer_of(db, result.customer.id) == referrer.id
    unowned = make_customer(db)
    db.commit()
    from scrm.auth import issue_customer_token

    r = client.post("/mp/referral/wecom-code", headers={"Authorization": f"Bearer {issue_customer_token(unowned.id)}"})
    assert r.status_code == 409


def test_a_referral_follows_the_record_kept_when_the_friend_turns_out_to_be_known(db, client, sandbox_wxa):
    sales = make_employee(db)
    known = make_customer(db, sales, name="老客户", phone=phone(900))
    referrer = make_customer(db, name="推荐人")
    db.commit()
    scene = referral_service.scene_for(referral_service.code_for(db, referrer))
    db.commit()
    headers, friend = login(client, sandbox_wxa, scene=scene)
    assert friend["referral"]["referrer_customer_id"] == referrer.id
    r = client.post("/mp/auth/phone", json={"code": sandbox_wxa.phone_code(phone(900))}, headers=headers)
    assert r.status_code == 200 and r.json()["customer"]["id"] == known.id
    db.expire_all()
    assert referral_service.referrer_of(db, known.id) == referrer.id
    assert referral_service.referrer_of(db, friend["customer"]["id"]) is None
