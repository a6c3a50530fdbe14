"""The stack the load and fault suite owns: a private Redis and PostgreSQL cluster (so both can be
stopped and restarted), the sandbox WeCom, ``scrm serve``, two ``scrm worker`` and ``scrm scheduler``,
all on loopback, each its own process with its log in the run's directory. ``close()`` ends them all."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

from bench.common import PII_KEY, free_port
from scrm.core.config import SANDBOX_WECOM, SANDBOX_WXA

ROOT = Path(__file__).resolve().parents[2]
ADMIN = ("bench-admin", "bench-password-1")


def wait_until(check, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(interval)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise SystemExit(f"error: {name} not found (install postgresql / redis-server)")


class Stack:
    def __init__(self, *, web_workers: int = 1, workers: int = 2, stale_after_s: int = 15) -> None:
        self.web_workers = web_workers
        self.worker_count = workers
        self.stale_after_s = stale_after_s
        self.dir = Path(tempfile.mkdtemp(prefix="scrm-load-"))
        self.logs = self.dir / "logs"
        self.logs.mkdir()
        self.procs: dict[str, subprocess.Popen] = {}
        self.redis_port = free_port()
        self.pg_port = free_port()
        self.sandbox_port = free_port()
        self.web_port = free_port()
        self.wxa_port = free_port()
        self.wxa = None  # the sandbox mini-program API runs in this process: the load kinds get wx.login codes from it
        self.pgdata = self.dir / "pgdata"
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.db_url = f"postgresql+psycopg://postgres@127.0.0.1:{self.pg_port}/scrm_load"
        self.pg_conninfo = f"postgresql://postgres@127.0.0.1:{self.pg_port}/scrm_load"
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self._worker_seq = 0

    # ------------------------------------------------------------------ environment

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ,
                "SCRM_DATABASE_URL": self.db_url, "SCRM_REDIS_URL": self.redis_url, "SCRM_PII_KEY": PII_KEY,
                "SCRM_SECRET_KEY": "load-bench", "SCRM_WECOM_API_BASE": f"http://127.0.0.1:{self.sandbox_port}/cgi-bin/",
                "SCRM_WECOM_CORP_ID": SANDBOX_WECOM["corp_id"], "SCRM_WECOM_SECRET": SANDBOX_WECOM["secret"],
                "SCRM_WECOM_TOKEN": SANDBOX_WECOM["token"], "SCRM_WECOM_AES_KEY": SANDBOX_WECOM["aes_key"],
                "SCRM_WECOM_AGENT_ID": str(SANDBOX_WECOM["agent_id"]),
                "SCRM_WXA_API_BASE": f"http://127.0.0.1:{self.wxa_port}/", "SCRM_WXA_APPID": SANDBOX_WXA["appid"],
                "SCRM_WXA_SECRET": SANDBOX_WXA["secret"],
                "SCRM_INBOX_STALE_AFTER_S": str(self.stale_after_s), "SCRM_LOG_LEVEL": "WARNING",
                "SCRM_DATA_DIR": str(self.dir / "data"), "PYTHONUNBUFFERED": "1"}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")
        proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        self.procs[name] = proc
        return proc

    def _scrm(self, *args: str) -> list[str]:
        return [sys.executable, "-c", "from loan_scrm.cli import main; main()", *args]

    # ------------------------------------------------------------------ start

    def start(self) -> None:
        self.start_redis()
        self._init_pg()
        self.start_pg()
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.pg_port}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE scrm_load")
        subprocess.run(self._scrm("migrate"), cwd=ROOT, env=self.env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(self._scrm("user", "add", "--username", ADMIN[0], "--name", "压测管理员", "--role", "admin",
                                  "--password", ADMIN[1]), cwd=ROOT, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)
        self._spawn("sandbox", self._scrm("sandbox", "wecom", "--port", str(self.sandbox_port), "--no-seed",
                                          "--calls-per-minute", "1000000"))
        wait_until(lambda: port_open(self.sandbox_port), 30, "the sandbox WeCom")
        from scrm.sandbox.wxa import SandboxWxa

        self.wxa = SandboxWxa()
        self.wxa.start(self.wxa_port)
        self._spawn("serve", self._scrm("serve", "--port", str(self.web_port), "--workers", str(self.web_workers)))
        for _ in range(self.worker_count):
            self.start_worker()
        self._spawn("scheduler", self._scrm("scheduler"))
        wait_until(lambda: httpx.get(f"{self.base_url}/openapi.json", timeout=2).status_code == 200, 60,
                   "scrm serve")

    def start_redis(self) -> None:
        self._spawn("redis", [_tool("redis-server"), "--bind", "127.0.0.1", "--port", str(self.redis_port),
                              "--save", "", "--appendonly", "no", "--dir", str(self.dir)])
        wait_until(lambda: port_open(self.redis_port), 10, "redis-server")

    def stop_redis(self) -> None:
        self._end("redis", signal.SIGTERM)

    def _init_pg(self) -> None:
        self.pgdata.mkdir()
        if self._as_postgres:
            shutil.chown(self.dir, "postgres")
            shutil.chown(self.pgdata, "postgres")
        subprocess.run([*self._as_postgres, _tool("initdb"), "-D", str(self.pgdata), "-U", "postgres", "-A", "trust"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run([*self._as_postgres, _tool("pg_ctl"), "-D", str(self.pgdata), *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)

    def start_pg(self) -> None:
        self._pg_ctl("-o", f"-p {self.pg_port} -k {self.pgdata} -c listen_addresses=127.0.0.1 "
                     f"-c max_connections=300 -c log_lock_waits=on -c log_min_duration_statement=2000", "-l", str(self.pgdata / "log"), "-w", "start")

    def stop_pg(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "stop")

    def start_worker(self) -> str:
        self._worker_seq += 1
        name = f"worker{self._worker_seq}"
        self._spawn(name, self._scrm("worker"))
        return name

    def workers(self) -> list[str]:
        return [n for n, p in self.procs.items() if n.startswith("worker") and p.poll() is None]

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal a process and its children (a worker and its work horse), as losing the machine would."""
        proc = self.procs[name]
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
            proc.wait(10)

    def _end(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
            proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass

    # ------------------------------------------------------------------ end

    def close(self, keep_logs: Path | None = None) -> None:
        for name in [n for n in self.procs if n not in ("redis",)]:
            self._end(name)
        self._end("redis")
        if self.wxa is not None:
            self.wxa.stop()
        if (self.pgdata / "postmaster.pid").exists():
            try:
                self.stop_pg()
            except Exception:
                pass
        if keep_logs is not None:
            shutil.rmtree(keep_logs, ignore_errors=True)
            shutil.copytree(self.logs, keep_logs)
            if (self.pgdata / "log").exists():
                shutil.copy(self.pgdata / "log", keep_logs / "postgresql.log")
        shutil.rmtree(self.dir, ignore_errors=True)
