"""Every console page without path parameters, read from the real app's routes and ``core.MENU`` so that a
page added tomorrow is covered the day it is added: anonymous visitors are sent to the sign-in page, and
each role the page's menu entry does not name gets 403 (the menu entry whose path is the longest prefix of
the page's path decides, as it decides what the menu shows). The menu's own links open for every role
the entry names."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from console import core
from loan_scrm.app import create_app
from scrm.org.models import Role
from tests.factories.org import make_department, make_employee

SIGN_IN = core.PREFIX + "/login"


def _walk(routes, prefix: str = ""):
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:  # an included router, kept whole by FastAPI
            yield from _walk(inner.routes, prefix + route.include_context.prefix)
        else:
            yield prefix + getattr(route, "path", ""), route


def console_pages() -> list[str]:
    pages = {path for path, route in _walk(create_app().router.routes)
             if path.startswith(core.PREFIX) and "GET" in (getattr(route, "methods", None) or ())
             and "{" not in path and not path.startswith(SIGN_IN)}
    return sorted(pages)


def menu_item(path: str) -> core.MenuItem:
    rel = path[len(core.PREFIX):] or "/"
    matching = [m for m in core.MENU if m.path == "/" or rel == m.path or rel.startswith(m.path.rstrip("/") + "/")]
    assert matching, f"{path} is under no menu entry"
    return max(matching, key=lambda m: len(m.path))


def allowed(item: core.MenuItem, role: Role) -> bool:
    return role in item.roles or role == Role.admin  # as core.menu_for decides


PAGES = console_pages()


@pytest.mark.pure
def test_the_walk_finds_the_known_pages():
    assert {"/console/", "/console/customers", "/console/handover", "/console/rules", "/console/dashboards"} <= set(PAGES)


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(db, client, path):
    client.cookies.clear()
    answer = client.get(path)
    assert answer.history, f"{path} answered {answer.status_code} without redirecting an anonymous visitor"
    assert urlsplit(str(answer.url)).path == SIGN_IN and answer.status_code == 200
    assert "登录控制台" in answer.text


@pytest.mark.parametrize("path", PAGES)
def test_each_role_outside_the_menu_entry_gets_403(db, sign_in, path):
    item = menu_item(path)
    dept = make_department(db)
    for role in Role:
        employee = make_employee(db, role=role, department=dept)
        answer = sign_in(employee).get(path, follow_redirects=False)
        if allowed(item, role):
            if path.rstrip("/") != (core.PREFIX + item.path).rstrip("/"):
                continue  # a page under an entry may be stricter than the entry (editing rules is for managers)
            assert answer.status_code not in (401, 403) and SIGN_IN not in answer.headers.get("location", ""), \
                f"{role.value} may open {item.label} but {path} answered {answer.status_code}"
        else:
            assert answer.status_code == 403, f"{role.value} may not open {item.label}; {path} answered {answer.status_code}"
            assert "没有权限" in answer.text
