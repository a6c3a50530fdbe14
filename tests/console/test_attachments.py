"""The customer page's documents: upload with the kind, download through a link made by a form POST."""

from __future__ import annotations

import os

from scrm.org.models import Role
from tests.console.conftest import csrf_of
from tests.factories.customers import make_customer
from tests.factories.org import make_department, make_employee

PDF = b"%PDF-1.4\n" + os.urandom(2000) + b"\n%%EOF"


def test_upload_then_download_from_the_customer_page(db, client, sign_in, settings_env, tmp_path):
    settings_env(SCRM_DATA_DIR=str(tmp_path))
    dept = make_department(db)
    sales = make_employee(db, department=dept)
    customer = make_customer(db, sales, "钱七")
    sign_in(sales)
    page = client.get(f"/console/customers/{customer.id}")
    assert 'enctype="multipart/form-data"' in page.text and "征信报告" in page.text
    url = f"/console/customers/{customer.id}/attachments"

    bad = client.post(url, data={"kind": "credit_report", "csrf_token": csrf_of(page.text)},
                      files={"file": ("征信.pdf", b"MZ\x90\x00not a pdf", "application/pdf")})
    assert bad.status_code == 422 and 'id="err-file"' in bad.text and "PDF、JPEG、PNG 或 HEIC" in bad.text
    no_csrf = client.post(url, data={"kind": "credit_report"}, files={"file": ("征信.pdf", PDF, "application/pdf")})
    assert no_csrf.status_code == 403
    ok = client.post(url, data={"kind": "credit_report", "csrf_token": csrf_of(bad.text)},
                     files={"file": ("征信报告2026.pdf", PDF, "application/pdf")})
    assert ok.status_code == 200 and "资料已上传" in ok.text and "征信报告2026.pdf" in ok.text

    link = ok.text.split(f'action="/console/customers/{customer.id}/attachments/', 1)[1].split('"', 1)[0]
    got = client.post(f"/console/customers/{customer.id}/attachments/{link}", data={"csrf_token": csrf_of(ok.text)})
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"

    other = make_employee(db, role=Role.sales, department=dept)
    sign_in(other)
    assert client.post(f"/console/customers/{customer.id}/attachments/{link}",
                       data={"csrf_token": csrf_of(client.get("/console/customers").text)}).status_code == 404
