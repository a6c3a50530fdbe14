"""The service served over HTTP on loopback, so the sandbox WeCom can send it real callbacks."""

from __future__ import annotations

import socket
import threading
import time

import pytest


class LiveService:
    def __init__(self):
        import uvicorn

        from loan_scrm.app import create_app

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(create_app(), log_level="warning", access_log=False,
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.01)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def live_service(sandbox_wecom):
    from scrm.ingress import service

    service.callback_keys.cache_clear()
    live = LiveService()
    sandbox_wecom.callback_url = f"{live.url}/wecom/callback"
    try:
        yield live
    finally:
        live.stop()
        service.callback_keys.cache_clear()
