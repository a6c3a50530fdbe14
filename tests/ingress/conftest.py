"""The served service and a small sales team on the sandbox WeCom, as in tests/wecom."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from scrm.org import service as org_service
from scrm.org.models import Employee
from scrm.wecom.client import get_client
from tests.wecom.conftest import live_service  # noqa: F401  (the fixture, shared with tests/wecom)


@pytest.fixture
def team(db, sandbox_wecom, live_service):  # noqa: F811
    for userid, name in [("zhangsan", "张三"), ("lisi", "李四"), ("wangwu", "王五")]:
        sandbox_wecom.seed_user(userid, name)
    org_service.sync_from_wecom(db, get_client())
    db.flush()
    return {e.wecom_userid: e for e in db.scalars(select(Employee)).all()}
