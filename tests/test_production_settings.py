"""Production settings (DJANGO_DEBUG=false), loaded in a process of their own: security headers,
the HTTPS redirect, the Content-Security-Policy, and ``check --deploy`` for the documented environment.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The documented production environment (README, "Running against PostgreSQL and Redis"), with
# services that need not be up: nothing here talks to them.
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "Zt8q-3vW_pL0xN7rB2mYc9Ks4Hd6Fg1Je5Ua0Qo8Ri3Tl7Vn2Xw6",
    "DJANGO_ALLOWED_HOSTS": "api.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:18034/coaching",
    "REDIS_URL": "redis://127.0.0.1:18035/0",
    "AGORA_APP_ID": "0123456789abcdef0123456789abcdef",
    "AGORA_APP_CERTIFICATE": "fedcba9876543210fedcba9876543210",
}

FETCH = """
import json, django
django.setup()
from django.test import Client
out = {}
for name, path, secure in [
    ("admin", "/admin/login/", True), ("docs", "/api/docs/", True), ("docs_script", "/api/docs/?script", True),
    ("http_admin", "/admin/login/", False), ("http_health", "/api/v1/health", False),
]:
    r = Client(raise_request_exception=False).get(path, secure=secure, HTTP_HOST="api.example.com")
    out[name] = {"status": r.status_code, "headers": dict(r.headers), "body": r.content.decode("utf-8", "replace")}
print("@@" + json.dumps(out))
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "SECURE_"))}
    return {**env, **PRODUCTION, "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "ERROR", **extra}


@functools.cache
def _fetch(extra: tuple[tuple[str, str], ...]) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", FETCH], cwd=ROOT, env=_env(**dict(extra)), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.split("@@", 1)[1])


def fetch(**extra: str) -> dict:
    """The pages under production settings (one process per environment, shared by the tests)."""
    return _fetch(tuple(sorted(extra.items())))


def test_check_deploy_is_clean_for_the_documented_production_environment():
    proc = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no issues" in proc.stdout


def test_production_pages_carry_hsts_and_a_content_security_policy():
    pages = fetch()
    for name in ("admin", "docs"):
        headers = pages[name]["headers"]
        assert pages[name]["status"] == 200, pages[name]["body"][:300]
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp


def test_plain_http_is_redirected_to_https_except_health():
    pages = fetch()
    assert pages["http_admin"]["status"] == 301
    assert pages["http_admin"]["headers"]["Location"] == "https://api.example.com/admin/login/"
    assert pages["http_health"]["status"] in (200, 503)  # answered, not redirected


def test_hsts_and_the_redirect_are_settable():
    pages = fetch(SECURE_HSTS_SECONDS="0", SECURE_SSL_REDIRECT="false")
    assert "Strict-Transport-Security" not in pages["admin"]["headers"]
    assert pages["http_admin"]["status"] == 200


def test_the_docs_page_loads_swagger_ui_from_this_app_and_no_inline_script():
    pages = fetch()
    body = pages["docs"]["body"]
    assert "cdn" not in body.lower() and "@latest" not in body and "https://" not in body
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in body
    assert "<script>" not in body  # the start-up script comes from ?script, allowed by script-src 'self'
    assert pages["docs_script"]["status"] == 200
    assert pages["docs_script"]["headers"]["Content-Type"].startswith("application/javascript")


def test_swagger_ui_files_are_found_by_staticfiles():
    from django.contrib.staticfiles import finders

    for name in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{name}"), name
