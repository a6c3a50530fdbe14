"""What the mini-program reads instead of hardcoding it: the privacy terms with their version, the document kinds;
and the sandbox's HTTP controls that hand out what wx.login and the phone-number button would."""

from __future__ import annotations

import httpx

from scrm.customers.service import ATTACHMENT_KINDS
from tests.miniprogram_api.helpers import application, bearer


def test_the_terms_are_readable_before_sign_in_and_their_version_is_the_one_consent_needs(db, client, sandbox_wxa,
                                                                                          products, settings_env):
    settings_env(SCRM_PRIVACY_TERMS_VERSION="2026-12")
    terms = client.get("/mp/privacy-terms")
    assert terms.status_code == 200
    body = terms.json()
    assert body["version"] == "2026-12" and body["title"] == "隐私政策" and "加密" in body["text"]

    # the sandbox over HTTP, as the Node tests reach it: a login code, then a phone code
    with httpx.Client(base_url=sandbox_wxa.base_url) as phone:
        login = phone.post("/sandbox/login_code", json={}).json()
        assert login["openid"].startswith("o") and login["code"]
        signed = client.post("/mp/auth/login", json={"code": login["code"]})
        assert signed.status_code == 200
        headers = bearer(signed.json()["token"])
        again = client.post("/mp/auth/login", json={"code": login["code"]})
        assert again.status_code == 401  # single use, as WeChat's 40163
        phone_code = phone.post("/sandbox/phone_code", json={"phone": "13912345678"}).json()["code"]
        bound = client.post("/mp/auth/phone", json={"code": phone_code}, headers=headers)
        assert bound.status_code == 200 and bound.json()["customer"]["phone"] == "139****5678"
        assert phone.post("/sandbox/phone_code", json={}).status_code == 400
    headers = bearer(bound.json()["token"])

    stale = client.post("/mp/applications", headers=headers, json=application())  # consented to 2026-11
    assert stale.status_code == 422 and stale.json()["field"] == "consent.version"
    fresh = client.post("/mp/applications", headers=headers,
                        json=application(consent={"accepted": True, "version": body["version"]}))
    assert fresh.status_code == 201 and fresh.json()["consent_version"] == "2026-12"


def test_document_kinds_are_every_kind_an_upload_accepts_with_its_label(db, client, sandbox_wxa):
    signed = client.post("/mp/auth/login", json={"code": sandbox_wxa.login_code()})
    kinds = client.get("/mp/attachment-kinds", headers=bearer(signed.json()["token"])).json()
    assert {k["kind"] for k in kinds} == ATTACHMENT_KINDS
    assert {"kind": "id_card", "label": "身份证"} in kinds
    assert client.get("/mp/attachment-kinds").status_code == 401
