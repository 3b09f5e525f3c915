"""Screenshots of the staff console in headless Chromium, for looking at it (not a test).

    .venv/bin/python scripts/admin_screenshots.py [out_dir]     # default /tmp/admin_shots

Seeds a throw-away SQLite database (``seed_demo`` plus flagged ratings, stuck sessions, recordings and
webhook events), runs the dev server on 127.0.0.1:18090, logs Chromium in with a session cookie made
by Django's SessionStore, and drives it over the DevTools protocol (the ``websockets`` package the
project already pins; no browser driver to install). Needs Debian's ``chromium`` on PATH.

The staff decisions it shows (a rejected then approved rating, a staff proposal, a withdrawal, a
decided problem report) are made through the admin's own forms with Django's test client, so the
History rows are the ones staff would leave. Pages are shot at their full height.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    # Several checkouts may shoot at once: never a fixed port.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PORT, DEVTOOLS_PORT = free_port(), free_port()
WORK = Path(tempfile.mkdtemp(prefix="admin-shots-"))
ENV = {
    **os.environ,
    "DATABASE_URL": f"sqlite:///{WORK / 'db.sqlite3'}",
    "MEDIA_ROOT": str(WORK / "media"),
    "REDIS_URL": "",
    "DJANGO_SETTINGS_MODULE": "config.settings",
}


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=ENV, check=True, stdout=subprocess.DEVNULL)


def seed() -> dict:
    """Extra rows beyond seed_demo; returns the cookie and the pages to shoot."""
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from accounts.models import User
    from ratings.models import Rating
    from recordings.models import WebhookEvent
    from sessions_app.models import Session, SessionLog
    from tests.factories import MessageFactory, RatingFactory, RecordingFactory, SessionFactory

    # The periodic jobs first, as a worker would have run them (their heartbeats are real); what
    # is seeded after them is what they have not dealt with yet: the stuck session, the queue.
    run_beat_jobs_once(settings)
    now = timezone.now()
    texts = [
        ("Great coach! Text me on +44 7700 900123 for more tips.", ["phone"]),
        ("Best session ever, book directly at www.coach-deals.com and save", ["link"]),
        ("Reach me at tomas dot f at gmail dot com if you want notes", ["email"]),
        ("Helpful, patient, and clear about the next steps. Recommended.", []),
        ("A total scam, avoid this one.", ["blocklist:scam"]),
    ]
    for i in range(12):
        text, reasons = texts[i % len(texts)]
        RatingFactory(
            feedback=text,
            flag_reasons=reasons,
            status="FLAGGED" if reasons else "PENDING",
            overall=(i % 5) + 1,
            created_at=now - timedelta(hours=30 - i),
        )
    stuck = SessionFactory(
        status=Session.Status.IN_PROGRESS,
        appointment__start=now - timedelta(days=2),
        started_at=now - timedelta(days=2),
        topic="Interview practice",
    )
    for minutes, action, actor in (
        (0, "STARTED", stuck.customer),
        (0, "ENTERED", stuck.customer),
        (3, "ENTERED", stuck.coach),
    ):
        SessionLog.objects.create(
            session=stuck, action=action, actor=actor, created_at=stuck.started_at + timedelta(minutes=minutes)
        )
    for i, line in enumerate(["Hi! Can you hear me?", "Yes, loud and clear.", "Let's start with your CV."]):
        sender = stuck.customer if i % 2 == 0 else stuck.coach
        MessageFactory(session=stuck, sender=sender, text=line, created_at=stuck.started_at + timedelta(minutes=4 + i))
    RecordingFactory(session=stuck, status="PROCESSING", created_at=now - timedelta(days=2), size_bytes=734_003_200)
    RecordingFactory(status="FAILED", failure_reason="No recorded data")
    RecordingFactory(size_bytes=52_428_800)
    WebhookEvent.objects.create(key="shot-1", payload={}, received_at=now - timedelta(minutes=40))

    admin = User.objects.get(email="admin@example.com")
    policies = staff_decisions(admin, now)
    store = SessionStore()
    store[SESSION_KEY] = str(admin.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = admin.get_session_auth_hash()
    store.create()
    flagged = Rating.objects.filter(status="FLAGGED", flag_reasons__icontains="phone").order_by("created_at").first()
    return {
        "cookie": (settings.SESSION_COOKIE_NAME, store.session_key),
        "pages": [
            ("dashboard", "/admin/", 1440, 900),
            ("moderation-list", "/admin/ratings/rating/", 1440, 900),
            ("moderation-list-1920", "/admin/ratings/rating/", 1920, 1000),
            ("moderation-list-decided", "/admin/ratings/rating/?queue=decided", 1440, 900),
            ("rating-page", f"/admin/ratings/rating/{flagged.pk}/change/", 1440, 900),
            ("rating-page-decided", f"/admin/ratings/rating/{policies['rating'].pk}/change/", 1440, 900),
            ("session-page", f"/admin/sessions_app/session/{stuck.pk}/change/", 1440, 900),
            ("session-page-policies", f"/admin/sessions_app/session/{policies['session'].pk}/change/", 1440, 900),
            ("postpone-requests", "/admin/sessions_app/postponerequest/", 1440, 900),
            (
                "postpone-request-page",
                f"/admin/sessions_app/postponerequest/{policies['request'].pk}/change/",
                1440,
                900,
            ),
            ("problem-reports", "/admin/sessions_app/problemreport/", 1440, 900),
            ("problem-report-page", f"/admin/sessions_app/problemreport/{policies['report'].pk}/change/", 1440, 900),
            ("phone-moderation-list", "/admin/ratings/rating/", 390, 844),
            ("phone-moderation-list-scrolled", "/admin/ratings/rating/", 390, 844),
            ("phone-session-list", "/admin/sessions_app/session/", 390, 844),
            ("phone-dashboard", "/admin/", 390, 844),
            ("phone-session-page", f"/admin/sessions_app/session/{stuck.pk}/change/", 390, 844),
        ],
    }


def run_beat_jobs_once(settings) -> None:
    """Every periodic job once, through Celery's tracer as a worker would: their heartbeats are real."""
    from config.celery import app

    for entry, spec in settings.CELERY_BEAT_SCHEDULE.items():
        importlib.import_module(spec["task"].rsplit(".", 1)[0])  # registers the app's tasks
        result = app.tasks[spec["task"]].apply()
        if not result.successful():
            print(f"{entry} failed: {result.result!r}", file=sys.stderr)


def staff_decisions(admin, now) -> dict:
    """Staff decisions made through the admin's forms, as staff would (so History holds their words)."""
    from django.test import Client

    from ratings.models import Rating
    from sessions_app.models import PostponeRequest, Session
    from sessions_app.services import postpone, problems
    from tests.factories import AppointmentFactory, CustomerFactory, RatingFactory, SessionFactory

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)

    def ok(response) -> None:
        assert response.status_code in (200, 302), response.status_code

    rating = RatingFactory(
        feedback="Mail me at ines.lopez@example.com, I share my notes.",
        flag_reasons=["email"],
        status="FLAGGED",
        overall=4,
        created_at=now - timedelta(days=2),
    )
    page = f"/admin/ratings/rating/{rating.pk}/change/"
    ok(client.post(page, {"decision": "reject", "reason": "Ratings may not contain contact details.", "note": ""}))
    ok(client.post(page, {"decision": "approve", "note": "The rater removed the address by e-mail to support."}))
    rating = Rating.objects.get(pk=rating.pk)

    day = (now + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    session = SessionFactory(appointment__start=day, topic="Salary negotiation")
    first = AppointmentFactory(coach=session.coach, start=day + timedelta(days=1))
    second = AppointmentFactory(coach=session.coach, start=day + timedelta(days=2))
    ok(
        client.post(
            f"/admin/sessions_app/session/{session.pk}/propose/",
            {"appointment": str(first.pk), "reason": "The coach is travelling that day.", "note": "Coach phoned."},
        )
    )
    withdrawn = PostponeRequest.objects.get(session=session, status="PENDING")
    ok(
        client.post(
            "/admin/sessions_app/postponerequest/",
            {
                "action": "withdraw",
                "_selected_action": [str(withdrawn.pk)],
                "apply": "1",
                "note": "The coach found a way to keep the time.",
            },
        )
    )
    request = postpone.postpone_request_create(
        session=session, actor=session.coach, appointment_id=second.pk, reason="A conflict after all."
    )

    done = SessionFactory(
        status=Session.Status.COMPLETED,
        appointment__start=now - timedelta(hours=5),
        started_at=now - timedelta(hours=5),
        ended_at=now - timedelta(hours=4),
        customer=CustomerFactory(first_name="Tomas", last_name="Fischer"),
    )
    report = problems.problem_report_create(
        session=done, actor=done.customer, kind="COACH_NO_SHOW", text="The coach joined 25 minutes late."
    )
    problems.problem_report_respond(report=report, actor=done.coach, text="My train was late; I apologised.")
    ok(
        client.post(
            f"/admin/sessions_app/problemreport/{report.pk}/change/",
            {
                "decision": "UPHELD",
                "note": "The session is refunded in part.",
                "internal_note": "Second late start this month.",
            },
        )
    )
    open_report = problems.problem_report_create(
        session=done, actor=done.coach, kind="CONDUCT", text="The customer recorded the call on a phone."
    )
    return {"rating": rating, "session": session, "request": request, "report": open_report}


class Page:
    """One Chromium tab over the DevTools protocol."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.next_id = 0

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def wait_for(self, event: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("method") == event:
                return
        raise TimeoutError(event)


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise TimeoutError(url)


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/admin_shots")
    out.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("chromium is not installed (Debian: apt-get install -y chromium)", file=sys.stderr)
        return 1
    started = time.monotonic()
    manage("migrate", "--noinput")
    manage("seed_demo")
    plan = seed()
    print(f"seeded in {time.monotonic() - started:.0f} s", file=sys.stderr)
    server_log = (WORK / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload", "--skip-checks"],
        cwd=ROOT,
        env=ENV,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    browser = subprocess.Popen(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={WORK / 'chromium'}",
            f"--remote-debugging-port={DEVTOOLS_PORT}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        try:  # a loaded machine takes its time to import the project
            wait_http(f"http://127.0.0.1:{PORT}/admin/login/", timeout=180)
        except TimeoutError:
            print((WORK / "server.log").read_text()[-3000:], file=sys.stderr)
            raise
        wait_http(f"http://127.0.0.1:{DEVTOOLS_PORT}/json/version")
        target = requests.put(f"http://127.0.0.1:{DEVTOOLS_PORT}/json/new?about:blank", timeout=10).json()
        from websockets.sync.client import connect

        with connect(target["webSocketDebuggerUrl"], max_size=64 * 1024 * 1024) as ws:
            shoot(Page(ws), plan, out)
    finally:
        browser.terminate()
        server.terminate()
        browser.wait(10)
        server.wait(10)
        shutil.rmtree(WORK, ignore_errors=True)
    return 0


def shoot(page: Page, plan: dict, out: Path) -> None:
    page.call("Page.enable")
    name, value = plan["cookie"]
    page.call("Network.enable")
    page.call("Network.setCookie", name=name, value=value, domain="127.0.0.1", path="/")
    for shot, path, width, height in plan["pages"]:
        page.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=width < 500,
        )
        page.call("Page.navigate", url=f"http://127.0.0.1:{PORT}{path}")
        page.wait_for("Page.loadEventFired")
        if shot.endswith("-scrolled"):  # the list scrolled sideways: the key column stays
            page.call("Runtime.evaluate", expression="document.querySelector('.results').scrollLeft = 500")
        time.sleep(0.3)
        # The whole page, not only the first screen: what is below the fold is looked at too.
        size = page.call("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": width, "height": min(max(size["height"], height), 6000), "scale": 1}
        data = page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True, clip=clip)["data"]
        target_file = out / f"{shot}.png"
        target_file.write_bytes(base64.b64decode(data))
        print(target_file)


if __name__ == "__main__":
    sys.exit(main())
