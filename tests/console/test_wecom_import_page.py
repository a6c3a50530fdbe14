"""The administrator's 企业微信客户导入 page: start an import, watch its progress bar, stop it, read each run."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from scrm.customers.models import Customer
from scrm.ingress import importer
from scrm.ingress.models import ImportKind, ImportStatus, WecomImportRun
from scrm.org.models import Role
from scrm.sandbox.wecom.company import seed_company
from scrm.wecom.client import get_client
from tests.console.conftest import csrf_of
from tests.factories.org import make_employee


def test_an_administrator_imports_from_the_page_and_sees_the_run(db, client, sign_in, sandbox_wecom, settings_env):
    settings_env(SCRM_WECOM_IMPORT_PAGES_PER_MINUTE="0")
    seed_company(sandbox_wecom, 250, 3, text_every=0)
    admin = make_employee(db, role=Role.admin)
    sandbox_wecom.seed_user(admin.wecom_userid, admin.name)  # the import reads the directory again
    sign_in(admin)

    page = client.get("/console/admin/wecom-import")
    assert page.status_code == 200 and "还没有导入过" in page.text
    started = client.post("/console/admin/wecom-import/start", data={"csrf_token": csrf_of(page.text)},
                          follow_redirects=False)
    assert started.status_code == 303 and "msg=import_started" in started.headers["location"]

    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Customer)) == 250
    page = client.get("/console/admin/wecom-import")
    run = db.scalars(select(WecomImportRun)).one()
    row = re.search(rf'<tr data-run="{run.id}" class="import-done">(.*?)</tr>', page.text, re.S).group(1)
    assert "完成" in row and "100%" in row and '<td class="num">250</td>' in row
    assert "开始导入" in page.text  # nothing running: the button is back


def test_a_running_import_shows_its_progress_and_can_be_stopped(db, client, sign_in, sandbox_wecom):
    seed_company(sandbox_wecom, 50, 4, text_every=0)
    run = importer.begin(db, get_client(), ImportKind.import_)
    checkpoint = importer.next_follower(db, run.id)
    importer.import_page(db, get_client(), run, checkpoint)  # one of the four members read to the end
    db.flush()
    admin = make_employee(db, role=Role.admin)
    sign_in(admin)

    page = client.get("/console/admin/wecom-import")
    assert 'role="progressbar" aria-valuenow="25"' in page.text
    assert "成员 1/4" in page.text and '<meta http-equiv="refresh" content="3">' in page.text
    stopped = client.post(f"/console/admin/wecom-import/{run.id}/stop", data={"csrf_token": csrf_of(page.text)},
                          follow_redirects=False)
    assert stopped.status_code == 303
    db.expire_all()
    assert db.get(WecomImportRun, run.id).status == ImportStatus.stopped


def test_the_page_is_for_administrators_only(db, client, sign_in):
    sign_in(make_employee(db, role=Role.manager))
    assert client.get("/console/admin/wecom-import").status_code == 403
    assert client.post("/console/admin/wecom-import/start", data={}).status_code == 403
