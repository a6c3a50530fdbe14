"""The customer sends their own documents from the mini-program and sees what they sent, nobody else's."""

from __future__ import annotations

import os

from sqlalchemy import select

from scrm.core import storage
from scrm.customers import service as customer_service
from scrm.customers.models import Attachment, Customer
from tests.miniprogram_api.helpers import login

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + os.urandom(3000) + b"\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + os.urandom(300)


def send(client, headers, data: bytes, filename: str = "tmp_wx_0a1b.jpg", kind: str = "id_card"):
    return client.post("/mp/attachments", headers=headers, files={"file": (filename, data, "image/jpeg")},
                       data={"kind": kind})


def test_the_customer_uploads_a_jpeg_and_sees_it_listed(db, client, sandbox_wxa, settings_env, tmp_path):
    settings_env(SCRM_DATA_DIR=str(tmp_path))
    me, signed_in = login(client, sandbox_wxa)
    r = send(client, me, JPEG)
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "id_card" and r.json()["content_type"] == "image/jpeg"
    assert r.json()["size_bytes"] == len(JPEG)

    customer = db.get(Customer, signed_in["customer"]["id"])
    # a salesperson's upload to the same record is on file, but not among the customer's own
    customer_service.upload_attachment(db, customer, data=JPEG, filename="staff.jpg", kind="credit_report")
    db.commit()
    listed = client.get("/mp/attachments", headers=me).json()
    assert [a["id"] for a in listed] == [r.json()["id"]]
    assert "storage_key" not in listed[0]

    row = db.get(Attachment, r.json()["id"])
    assert row.customer_id == customer.id and row.by_customer and row.uploaded_by is None
    assert storage.load(row.storage_key) == JPEG

    friend, _ = login(client, sandbox_wxa)
    assert client.get("/mp/attachments", headers=friend).json() == []


def test_anything_but_a_document_is_refused_and_leaves_nothing(db, client, sandbox_wxa, settings_env, tmp_path):
    settings_env(SCRM_DATA_DIR=str(tmp_path), SCRM_FILES_MAX_BYTES=str(2048))
    me, signed_in = login(client, sandbox_wxa)
    r = send(client, me, EXE, filename="photo.jpg")
    assert r.status_code == 422 and r.json()["field"] == "file" and "PDF、JPEG、PNG 或 HEIC" in r.json()["message"]
    r = send(client, me, JPEG)
    assert r.status_code == 413 and "0.001953 MB" not in r.json()["message"] and "MB" in r.json()["message"]
    assert send(client, {}, JPEG[:1000]).status_code == 401
    db.expire_all()
    assert db.scalars(select(Attachment).where(Attachment.customer_id == signed_in["customer"]["id"])).all() == []
    assert not (tmp_path / "files").exists() or not any(p.is_file() for p in (tmp_path / "files").rglob("*"))
