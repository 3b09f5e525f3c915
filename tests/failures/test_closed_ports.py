"""Dependencies down: the app runs against closed ports (nothing listening) and must answer every
operation with JSON 2xx/4xx/503, never a 500 or an HTML page.

Each scenario runs ``tests/failures/driver.py`` in its own process with production settings
(``DJANGO_DEBUG=false``), so the settings, the middleware and the exception handler are the ones a
deployment runs, and the test process's own database and cache are not touched.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.services import need

ROOT = Path(__file__).resolve().parents[2]
# Ports in this project's closed range: nothing may listen there (checked before each run).
CLOSED_DATABASE, CLOSED_REDIS, CLOSED_BROKER = 18031, 18032, 18033


def _assert_closed(port: int) -> None:
    with socket.socket() as sock:
        sock.settimeout(1)
        assert sock.connect_ex(("127.0.0.1", port)) != 0, f"port {port} must have nothing listening"


def run_driver(scenario: str, tmp_path: Path, **env: str) -> tuple[dict, str]:
    for port in (CLOSED_DATABASE, CLOSED_REDIS, CLOSED_BROKER):
        _assert_closed(port)
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "AGORA_", "AWS_", "SECURE_"))
    }
    environment.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="closed-ports-suite-" + "x" * 32,
        DJANGO_ALLOWED_HOSTS="testserver",
        AGORA_APP_ID="a" * 32,
        AGORA_APP_CERTIFICATE="b" * 32,
        MEDIA_ROOT=str(tmp_path / "media"),
        LOG_LEVEL="WARNING",
        SECURE_SSL_REDIRECT="false",  # the client speaks plain HTTP here; TLS is not what this suite is about
        # A database that is down is known once the pool gave up waiting for a connection: production
        # waits DATABASE_POOL_TIMEOUT (10 s) before its 503; here half a second keeps the suite short.
        DATABASE_POOL_TIMEOUT="0.5",
        PYTHONPATH=str(ROOT),
        **env,
    )
    proc = subprocess.run(
        [sys.executable, "-m", "tests.failures.driver", scenario],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.split("@@RESULT@@", 1)[1]), proc.stderr


def _is_bad(a: dict) -> bool:
    if a["status"] not in range(200, 600) or (a["status"] >= 500 and a["status"] != 503):
        return True
    json_expected = a["path"].startswith("/api/v1") and a["status"] not in (204, 302)
    return json_expected and not a["content_type"].startswith("application/json")


def assert_no_server_errors(answers: list[dict]) -> None:
    bad = [a for a in answers if _is_bad(a)]
    assert not bad, json.dumps(bad[:20], indent=1)


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'closed-ports.sqlite3'}"


def test_database_and_redis_down_every_operation_answers_json_503_or_4xx(tmp_path):
    result, _ = run_driver(
        "database_down",
        tmp_path,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{CLOSED_DATABASE}/w11",
        REDIS_URL=f"redis://127.0.0.1:{CLOSED_REDIS}/5",
    )
    answers = result["answers"]
    assert len({a["path"] for a in answers}) > 25  # every operation of the schema, not a handful
    assert_no_server_errors(answers)
    unavailable = [a for a in answers if a["status"] == 503]
    assert unavailable and all(
        a["code"] in ("dependency_unavailable", "recording_unavailable") or a["path"].endswith("/health")
        for a in unavailable
        if a["path"].startswith("/api/v1")
    )
    # A user with a token cannot be told apart from a bad token without the database: 503, not 401.
    me = next(a for a in answers if a["path"] == "/api/v1/me" and a["role"] == "token" and a["method"] == "GET")
    assert (me["status"], me["code"]) == (503, "dependency_unavailable")
    assert (result["checks"]["login"]["status"], result["checks"]["login"]["code"]) == (503, "dependency_unavailable")
    assert result["checks"]["register"]["status"] == 503
    health = next(a for a in answers if a["path"] == "/api/v1/health" and a["role"] == "anonymous")
    assert health["status"] == 503


def test_redis_down_throttles_fail_open_and_cache_guarantees_answer_503(tmp_path):
    result, log = run_driver(
        "with_database", tmp_path, DATABASE_URL=sqlite_url(tmp_path), REDIS_URL=f"redis://127.0.0.1:{CLOSED_REDIS}/5"
    )
    assert_no_server_errors(result["answers"])
    checks = result["checks"]
    # Health names what failed.
    assert checks["health"]["status"] == 503
    assert checks["health"]["body"]["database"] == "ok"
    assert checks["health"]["body"]["cache"].startswith("error")
    assert checks["health"]["body"]["broker"].startswith("error")
    # Request throttles let requests through, and say so in the log.
    me = next(
        a for a in result["answers"] if a["path"] == "/api/v1/me" and a["method"] == "GET" and a["role"] == "customer"
    )
    assert me["status"] == 200, me
    assert "lets the request through" in log
    # Login lockout and the chat's send rate cannot be kept without the cache: 503, never unlimited.
    assert (checks["login"]["status"], checks["login"]["code"]) == (503, "dependency_unavailable")
    assert (checks["message"]["status"], checks["message"]["code"]) == (503, "dependency_unavailable")
    # Idempotency lives in the database: the replay is the first answer, one session booked.
    assert checks["booking"]["first"]["status"] == 201
    assert checks["booking"]["replay"]["status"] == 201
    assert checks["booking"]["same_answer"] is True
    assert checks["booking"]["sessions_on_slot"] == 1
    # The broker (the same Redis) is down too: committed changes stay committed and answer 2xx.
    assert checks["rating"]["answer"]["status"] == 201 and checks["rating"]["stored"] == 1
    assert checks["end"]["answer"]["status"] == 200 and checks["end"]["status"] == "END_REQUEST_PENDING"


def test_broker_down_cache_up_committed_changes_answer_2xx(tmp_path, redis_url):
    result, log = run_driver(
        "with_database",
        tmp_path,
        DATABASE_URL=sqlite_url(tmp_path),
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=f"redis://127.0.0.1:{CLOSED_BROKER}/5",
    )
    assert_no_server_errors(result["answers"])
    checks = result["checks"]
    assert checks["health"]["status"] == 503
    assert checks["health"]["body"]["cache"] == "ok"
    assert checks["health"]["body"]["broker"].startswith("error")
    assert checks["login"]["status"] == 200
    assert checks["message"]["status"] == 201
    assert checks["booking"]["first"]["status"] == 201 and checks["booking"]["sessions_on_slot"] == 1
    assert checks["rating"]["answer"]["status"] == 201 and checks["rating"]["stored"] == 1
    assert checks["end"]["answer"]["status"] == 200 and checks["end"]["status"] == "END_REQUEST_PENDING"
    assert "its sweep will pick it up" in log


def test_database_down_redis_up_answers_json_503(tmp_path, redis_url):
    result, _ = run_driver(
        "database_down",
        tmp_path,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{CLOSED_DATABASE}/w11",
        REDIS_URL=redis_url,
    )
    answers = result["answers"]
    assert_no_server_errors(answers)
    assert (result["checks"]["login"]["status"], result["checks"]["login"]["code"]) == (503, "dependency_unavailable")
    health = next(a for a in answers if a["path"] == "/api/v1/health")
    assert health["status"] == 503


@pytest.fixture(autouse=True)
def _closed_range_free():
    for port in (CLOSED_DATABASE, CLOSED_REDIS, CLOSED_BROKER):
        with socket.socket() as sock:
            sock.settimeout(1)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                need(f"something listens on port {port}, which this suite needs closed")
