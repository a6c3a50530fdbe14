"""A production process without its personal-data key refuses to start, saying what to do, instead of
answering 500 to the first WeCom callback (issue 15, item 10)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from loan_scrm.app import create_app
from tests.conftest import TEST_DB_URL


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_scrm(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "SCRM_PII_KEY"}
    environ.update(SCRM_DATABASE_URL=TEST_DB_URL, **env)
    # a service that starts anyway never exits: the timeout fails the test
    return subprocess.run([sys.executable, "-m", "loan_scrm.cli", *args], env=environ, capture_output=True, text=True,
                          timeout=20)


@pytest.mark.parametrize("command", [["serve", "--port", str(free_port())], ["worker", "--burst"], ["scheduler"]])
def test_no_pii_key_with_a_database_url_stops_the_start(command):
    finished = run_scrm(*command)
    assert finished.returncode != 0
    assert "SCRM_PII_KEY" in finished.stderr and "scrm pii new-key" in finished.stderr


def test_a_pii_key_that_is_not_32_bytes_stops_the_start():
    finished = run_scrm("serve", "--port", str(free_port()), SCRM_PII_KEY="c2hvcnQ=")
    assert finished.returncode != 0
    assert "SCRM_PII_KEY" in finished.stderr and "32" in finished.stderr


@pytest.mark.pure
def test_the_app_factory_refuses_too(settings_env):
    settings_env(SCRM_PII_KEY="")
    with pytest.raises(RuntimeError, match="SCRM_PII_KEY"):
        create_app()


def test_no_shared_token_secret_with_a_database_url_stops_the_start():
    """Without SCRM_SECRET_KEY each machine signs tokens with a secret of its own, so a token one web process
    issued would be refused by the next: production must set one secret for every process."""
    finished = run_scrm("serve", "--port", str(free_port()), SCRM_PII_KEY=os.environ["SCRM_PII_KEY"],
                        SCRM_SECRET_KEY="")
    assert finished.returncode != 0
    assert "SCRM_SECRET_KEY" in finished.stderr
