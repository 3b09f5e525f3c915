"""The one way to enqueue a Celery task: after the current transaction commits, and guarded.

A broker outage must never turn a change that is already committed into a 500: the error is
logged and the beat sweep of the task's domain picks the work up later (every task enqueued here
has such a sweep). Under eager Celery (``make run``, tests) the task runs right after the commit,
in the request, and its own errors propagate as usual.
"""

from __future__ import annotations

import logging
from importlib import import_module

from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)

# What a broker that is down or refuses looks like from here (kombu wraps most of it).
BROKER_ERRORS: tuple[type[BaseException], ...] = (BrokerError, ConnectionError, OSError, TimeoutError)


def enqueue(task, *args, **kwargs) -> bool:
    """Send ``task`` (a task object or its registered name) now; ``False`` if the broker is unreachable."""
    if isinstance(task, str):
        # A name spares the caller an import of the tasks module (which imports its services);
        # the module is loaded on first use, as a worker's autodiscovery would.
        import_module(task.rsplit(".", 1)[0])
        task = current_app.tasks[task]
    try:
        task.delay(*args, **kwargs)
    except BROKER_ERRORS:
        logger.warning("Could not enqueue %s%r; its sweep will pick it up", task.name, args, exc_info=True)
        return False
    return True


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send ``task`` with ``args`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))
