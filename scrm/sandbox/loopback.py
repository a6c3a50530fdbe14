"""Serve a sandbox's ASGI app with uvicorn on 127.0.0.1 in a daemon thread."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import uvicorn


class LoopbackServer:
    def __init__(self, app: Any, name: str):
        self.app, self.name = app, name
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self, port: int = 0) -> int:
        """Serve on ``port`` (0 picks a free one) once it accepts connections; returns the port."""

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True,
                                        name=f"{self.name}-{port}")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the {self.name} did not start")
            time.sleep(0.01)
        return port

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(10)
            self._server = self._thread = None


class LoopbackSandbox:
    """A sandbox's lifecycle: its ``app`` served on loopback, and a small pool for the callbacks it sends."""
    name = "sandbox"
    app = None
    port: int | None = None
    _server: LoopbackServer | None = None
    _executor = None

    @property
    def base_url(self) -> str | None:
        return f"http://127.0.0.1:{self.port}/" if self.port else None

    def start(self, port: int = 0) -> str:
        if self._server is None:
            self._server = LoopbackServer(self.app, self.name)
            self.port = self._server.start(port)
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def _pool(self):

        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix=self.name.replace(" ", "-"))
        return self._executor

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def take_fault(lock, faults: dict[str, list], path: str):
    """The next injected fault for ``path`` (or for any path, ``"*"``), used up one call at a time."""
    with lock:
        for key in (path, "*"):
            queue = faults.get(key)
            if queue:
                fault = queue[0]
                fault.remaining -= 1
                if fault.remaining <= 0:
                    queue.pop(0)
                return fault
    return None
