"""Customer documents: checked by content, encrypted at rest on the local disk and in S3, downloaded through
a short-lived link bound to one employee, audit-logged, erased with the customer."""

from __future__ import annotations

import base64
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import boto3
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select

from scrm.core import crypto, storage
from scrm.customers import service as customer_service
from scrm.customers.models import Attachment
from scrm.org.models import Role
from scrm.privacy.models import PiiView
from tests.factories.common import events_named
from tests.factories.customers import make_customer
from tests.factories.org import auth, make_department, make_employee

S3_URL = os.environ.get("SCRM_TEST_S3_URL", "")

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + os.urandom(4000) + b"\xff\xd9"
PDF = b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\n" + b"BT /F1 12 Tf (Zhang San credit report) Tj ET\n" * 50 + b"%%EOF"
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + os.urandom(500)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(200)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"This program cannot be run in DOS mode." + os.urandom(300)


@dataclass
class Store:
    name: str
    raw: Callable[[str], bytes]  # the stored object, read past the service
    keys: Callable[[], list[str]]  # every object stored


@pytest.fixture(params=["local", "s3"])
def store(request, settings_env, tmp_path) -> Store:
    if request.param == "local":
        settings_env(SCRM_DATA_DIR=str(tmp_path))
        root = tmp_path / "files"
        return Store("local", lambda key: (root / key).read_bytes(),
                     lambda: sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else [])
    if not S3_URL:
        pytest.fail("SCRM_TEST_S3_URL is not set: run the suite with scripts/test (it starts an S3-protocol server)")
    bucket = f"scrm-test-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3", endpoint_url=S3_URL, region_name="us-east-1", aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    s3.create_bucket(Bucket=bucket)
    settings_env(SCRM_FILES_S3_ENDPOINT=S3_URL, SCRM_FILES_S3_BUCKET=bucket, SCRM_FILES_S3_ACCESS_KEY="testing",
                 SCRM_FILES_S3_SECRET_KEY="testing", SCRM_FILES_S3_REGION="us-east-1",
                 SCRM_FILES_S3_ADDRESSING_STYLE="path")
    return Store("s3", lambda key: s3.get_object(Bucket=bucket, Key=key)["Body"].read(),
                 lambda: sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])))


@pytest.fixture
def team(db):
    dept = make_department(db)
    sales = make_employee(db, department=dept)
    return dept, sales, make_customer(db, owner=sales, name="张三")


def upload(client, customer, employee, data: bytes, filename: str = "身份证正面.jpg", kind: str = "id_card",
           content_type: str = "image/jpeg"):
    return client.post(f"/api/customers/{customer.id}/attachments", headers=auth(employee),
                       files={"file": (filename, data, content_type)}, data={"kind": kind})


def link(client, customer, attachment_id: int, employee) -> str:
    r = client.post(f"/api/customers/{customer.id}/attachments/{attachment_id}/link", headers=auth(employee))
    assert r.status_code == 200, r.text
    assert r.json()["expires_in"] == 300
    return r.json()["url"]


@pytest.mark.parametrize("data, filename, content_type", [
    (JPEG, "身份证正面.jpg", "image/jpeg"), (PDF, "征信报告.pdf", "application/pdf"),
    (HEIC, "IMG_0001.HEIC", "image/heic"), (PNG, "流水截图.png", "image/png")])
def test_upload_and_download_round_trip_byte_for_byte(db, client, store, team, data, filename, content_type):
    _, sales, customer = team
    r = upload(client, customer, sales, data, filename=filename, content_type="application/octet-stream")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["content_type"] == content_type and body["size_bytes"] == len(data) and body["kind"] == "id_card"
    assert "storage_key" not in body
    listed = client.get(f"/api/customers/{customer.id}/attachments", headers=auth(sales)).json()
    assert [a["id"] for a in listed] == [body["id"]]

    got = client.get(link(client, customer, body["id"], sales), headers=auth(sales))
    assert got.status_code == 200, got.text
    assert got.content == data
    assert got.headers["content-type"] == content_type
    assert "attachment;" in got.headers["content-disposition"] and "filename*=UTF-8''" in got.headers["content-disposition"]

    row = db.get(Attachment, body["id"])
    assert store.keys() == [row.storage_key]
    assert row.key_id == crypto.current_key_id()
    assert len(row.sha256) == 64


def test_the_stored_object_is_ciphertext_and_needs_the_key(db, client, store, team):
    _, sales, customer = team
    r = upload(client, customer, sales, PDF, filename="征信报告.pdf", kind="credit_report")
    assert r.status_code == 201, r.text
    key = db.get(Attachment, r.json()["id"]).storage_key
    raw = store.raw(key)
    assert raw != PDF and b"credit report" not in raw and b"%PDF" not in raw
    assert storage.load(key) == PDF
    # the same layout under another master key does not open
    other = crypto._load_key(crypto.new_key())
    with pytest.raises(InvalidTag):
        other.file_aead.decrypt(raw[14:26], raw[26:], raw[6:14] + b":" + key.encode())
    # nor under the right key bound to another object's name
    with pytest.raises(InvalidTag):
        crypto.decrypt_blob(raw, bound_to=key + "x")
    # the key that opens it is not the personal-data field key itself
    master = base64.b64decode(os.environ["SCRM_PII_KEY"])
    with pytest.raises(InvalidTag):
        AESGCM(master).decrypt(raw[14:26], raw[26:], raw[6:14] + b":" + key.encode())


def test_a_renamed_exe_is_refused_naming_the_types_and_leaves_nothing(db, client, store, team):
    _, sales, customer = team
    r = upload(client, customer, sales, EXE, filename="征信报告.pdf", content_type="application/pdf")
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "file" and "PDF、JPEG、PNG 或 HEIC" in r.json()["message"]
    r = upload(client, customer, sales, b"just text, named like a photo", filename="x.jpg")
    assert r.status_code == 422 and r.json()["field"] == "file"
    r = upload(client, customer, sales, JPEG, kind="selfie")
    assert r.status_code == 422 and r.json()["field"] == "kind"
    db.expire_all()
    assert db.scalars(select(Attachment).where(Attachment.customer_id == customer.id)).all() == []
    assert store.keys() == []


def test_a_file_over_the_limit_is_refused_naming_the_limit_and_leaves_nothing(db, client, store, team, settings_env):
    settings_env(SCRM_FILES_MAX_BYTES=str(1024 * 1024))
    _, sales, customer = team
    big = JPEG + b"\x00" * (1024 * 1024 + 1 - len(JPEG))
    r = upload(client, customer, sales, big)
    assert r.status_code == 413, r.text
    assert r.json()["field"] == "file" and "1 MB" in r.json()["message"]
    huge = upload(client, customer, sales, JPEG + b"\x00" * (3 * 1024 * 1024))  # refused before it is read
    assert huge.status_code == 413 and "SCRM_FILES_MAX_BYTES" in huge.json()["message"]
    assert upload(client, customer, sales, JPEG).status_code == 201  # within the limit
    db.expire_all()
    assert len(db.scalars(select(Attachment).where(Attachment.customer_id == customer.id)).all()) == 1
    assert len(store.keys()) == 1


def test_a_metadata_only_record_with_a_client_path_is_no_longer_accepted(db, client, store, team):
    _, sales, customer = team
    r = client.post(f"/api/customers/{customer.id}/attachments", headers=auth(sales), json={
        "filename": "id.jpg", "content_type": "image/jpeg", "size_bytes": 1000, "storage_key": "customers/1/id.jpg"})
    assert r.status_code == 422
    assert store.keys() == []


def test_another_salespersons_link_and_download_are_404(db, client, store, team):
    dept, sales, customer = team
    other = make_employee(db, department=dept)
    supervisor = make_employee(db, role=Role.supervisor, department=dept)
    aid = upload(client, customer, sales, JPEG).json()["id"]
    url = link(client, customer, aid, sales)

    assert client.get(url, headers=auth(other)).status_code == 404  # outside their scope
    assert client.post(f"/api/customers/{customer.id}/attachments/{aid}/link", headers=auth(other)).status_code == 404
    assert client.get(url, headers=auth(supervisor)).status_code == 404  # in scope, but the link is not theirs
    assert client.get(link(client, customer, aid, supervisor), headers=auth(supervisor)).status_code == 200
    assert client.get(url.split("?")[0] + "?token=9999999999.forged", headers=auth(sales)).status_code == 404
    assert client.get(url.split("?")[0], headers=auth(sales)).status_code == 404
    other_customer = make_customer(db, owner=sales)
    moved = url.replace(f"/customers/{customer.id}/", f"/customers/{other_customer.id}/")
    assert client.get(moved, headers=auth(sales)).status_code == 404
    assert client.get(url).status_code == 401  # the link alone is not enough


def test_an_expired_link_is_404(db, client, store, team):
    _, sales, customer = team
    aid = upload(client, customer, sales, JPEG).json()["id"]
    token = customer_service.download_token(db.get(Attachment, aid), sales, ttl_s=-1)
    url = f"/api/customers/{customer.id}/attachments/{aid}/download?token={token}"
    assert client.get(url, headers=auth(sales)).status_code == 404


def test_each_download_is_audit_logged(db, client, store, team):
    _, sales, customer = team
    aid = upload(client, customer, sales, JPEG).json()["id"]
    url = link(client, customer, aid, sales)
    assert db.scalars(select(PiiView).where(PiiView.customer_id == customer.id)).all() == []
    for _ in range(2):
        assert client.get(url, headers=auth(sales)).status_code == 200
    db.expire_all()
    views = db.scalars(select(PiiView).where(PiiView.customer_id == customer.id)).all()
    assert len(views) == 2
    assert all(v.employee_id == sales.id and v.fields == ["attachment"] and f"#{aid}" in v.reason for v in views)
    assert all("张三" not in v.reason for v in views)


def test_erasing_the_customer_deletes_the_stored_objects(db, client, store, team):
    dept, sales, customer = team
    manager = make_employee(db, role=Role.manager, department=dept)
    keep = make_customer(db, owner=sales)
    for data in (JPEG, PDF):
        assert upload(client, customer, sales, data).status_code == 201
    assert upload(client, keep, sales, PNG).status_code == 201
    assert len(store.keys()) == 3
    r = client.post(f"/api/customers/{customer.id}/erase", json={"reason": "客户申请 #17"}, headers=auth(manager))
    assert r.status_code == 200, r.text
    db.expire_all()
    assert db.scalars(select(Attachment).where(Attachment.customer_id == customer.id)).all() == []
    [remaining] = store.keys()
    assert remaining.startswith(f"customers/{keep.id}/")
    # the event keeps neither the external ids nor the storage keys once delivered
    assert events_named(db, "customer.erased") == [{"customer_id": customer.id, "external_ids": [], "files": []}]


def test_a_rolled_back_upload_leaves_no_object(db, store, team):
    _, sales, customer = team
    customer_service.upload_attachment(db, customer, data=JPEG, filename="a.jpg", kind="id_card", uploaded_by=sales.id)
    assert len(store.keys()) == 1
    db.rollback()
    assert store.keys() == []


def test_the_type_is_told_by_content():
    assert customer_service.detect_type(JPEG) == "image/jpeg"
    assert customer_service.detect_type(PDF) == "application/pdf"
    assert customer_service.detect_type(PNG) == "image/png"
    assert customer_service.detect_type(HEIC) == "image/heic"
    assert customer_service.detect_type(b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1heix" + b"\x00" * 8) == "image/heic"
    avif = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 8
    assert customer_service.detect_type(avif) is None
    assert customer_service.detect_type(EXE) is None
    assert customer_service.detect_type(b"") is None


def test_the_download_name_has_no_path_and_the_contents_extension(db, store, team):
    _, sales, customer = team
    a = customer_service.upload_attachment(db, customer, data=JPEG, filename="..\\..\\etc/passwd.exe", kind="id_card")
    assert a.filename == "passwd.jpg"
    b = customer_service.upload_attachment(db, customer, data=PDF, filename="", kind="credit_report")
    assert b.filename == "征信报告.pdf"
    assert Path(a.storage_key).parts[:2] == ("customers", str(customer.id))
