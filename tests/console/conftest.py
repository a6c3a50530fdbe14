"""Console fixtures: a signed-in browser-like client (session cookie and the CSRF token of its pages)."""

from __future__ import annotations

import re
from typing import Iterator

import pytest

from scrm.auth import COOKIE_NAME, issue_staff_token
from tests.backoffice.conftest import world  # noqa: F401  (fixture)

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


@pytest.fixture
def sign_in(client):
    """``sign_in(employee)``: the client now carries that employee's session cookie."""

    def apply(employee):
        client.cookies.clear()
        client.cookies.set(COOKIE_NAME, issue_staff_token(employee.id))
        return client

    return apply


@pytest.fixture
def console_server(committed_db) -> Iterator[str]:
    """The whole app in a real uvicorn server on a free loopback port, on the ``committed_db`` data."""
    import socket
    import threading
    import time

    import uvicorn

    from loan_scrm.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True, name="console-server")
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the console server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="session")
def chromium():
    """Debian's chromium driven by Playwright (``scripts/test`` installs it; nothing is downloaded here)."""
    import shutil

    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("chromium is not installed: run scripts/test, which installs it (apt-get install chromium)")
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                         args=["--no-sandbox", "--disable-dev-shm-usage"])
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()
