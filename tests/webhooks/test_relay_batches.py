"""The relay's batching rules on PostgreSQL, with real endpoints: claims that never overlap, and a
relay killed mid-batch whose batch the sweep takes up, each event still reaching each endpoint once."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from events import registry
from events.models import Event, EventReceipt
from events.services import events_dispatch_pending, events_relay
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


def _pending_events(n: int) -> list[Event]:
    """Committed events nobody relayed yet (their wake-up was lost, say)."""
    old = timezone.now() - timedelta(minutes=1)
    return [Event.objects.create(type="coach.verified", data={"n": i}, created_at=old) for i in range(n)]


def _together(*jobs) -> list:
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait(timeout=30)
            results[i] = job()
        except Exception as exc:  # reported by the assertion below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a relay hung"
    return results


def test_two_relays_claiming_at_once_fan_each_event_out_once_per_endpoint(postgres, endpoint_for, receiver):
    endpoint_for("/a")
    endpoint_for("/b")
    events = _pending_events(80)
    consumers = len(registry.consumers())

    handled = _together(
        lambda: events_relay(batch_size=7),
        lambda: events_relay(batch_size=11),
        lambda: events_dispatch_pending(older_than=timedelta(0), batch_size=5),
    )

    assert not [r for r in handled if isinstance(r, Exception)], handled
    # Every (event, consumer) pair was handled by exactly one of them: the sums add up, no more.
    assert sum(handled) == len(events) * consumers
    assert EventReceipt.objects.filter(consumer="webhooks").count() == len(events)
    assert WebhookDelivery.objects.count() == 2 * len(events)
    assert not Event.objects.filter(relayed_at__isnull=True).exists()
    for path in ("/a", "/b"):
        assert Counter(r.headers["webhook-id"] for r in receiver.at(path)) == Counter(str(e.pk) for e in events)


DYING_RELAY = textwrap.dedent(
    """
    import os, sys
    import django

    django.setup()
    from events import registry
    from events.services import events_relay


    def die(events):
        # The consumers before this one wrote their rows in the batch's transaction; the process is
        # killed before the commit, as a worker is by the OOM killer or a deploy.
        sys.stdout.write(f"claimed {len(events)}\\n")
        sys.stdout.flush()
        os._exit(17)


    registry.register_consumer("zz_killed", lambda event: die([event]), handle_many=die)
    events_relay(batch_size=25)
    """
)


def test_a_relay_killed_mid_batch_loses_nothing_and_the_sweep_resumes(postgres, endpoint_for, receiver):
    endpoint_for("/resumed")
    events = _pending_events(40)
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": "",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "WEBHOOK_ALLOW_PRIVATE_URLS": "true",
    }
    dying = subprocess.run(
        [sys.executable, "-c", DYING_RELAY], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert dying.returncode == 17, dying.stderr[-2000:]
    assert "claimed 25" in dying.stdout

    # Its transaction died with it: no receipt, no delivery, nothing sent, every event still pending.
    assert not EventReceipt.objects.exists() and not WebhookDelivery.objects.exists()
    assert receiver.at("/resumed") == []
    assert Event.objects.filter(relayed_at__isnull=True).count() == len(events)

    # The sweep takes the batch up (once PostgreSQL has noticed the dead connection and let its locks go).
    deadline = time.monotonic() + 20
    while Event.objects.filter(relayed_at__isnull=True).exists() and time.monotonic() < deadline:
        events_dispatch_pending(older_than=timedelta(0))
        time.sleep(0.1)
    assert not Event.objects.filter(relayed_at__isnull=True).exists()
    assert WebhookDelivery.objects.filter(status="SUCCEEDED").count() == len(events)
    assert Counter(r.headers["webhook-id"] for r in receiver.at("/resumed")) == Counter(str(e.pk) for e in events)
