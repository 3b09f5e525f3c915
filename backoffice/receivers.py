"""Celery signals → job heartbeats (see ``backoffice.heartbeat``)."""

from __future__ import annotations

from celery.signals import task_prerun, task_success

from backoffice import heartbeat


def _started(sender=None, **kwargs) -> None:
    heartbeat.run_started(sender.name)


def _succeeded(sender=None, result=None, **kwargs) -> None:
    heartbeat.run_succeeded(sender.name, result)


def connect() -> None:
    task_prerun.connect(_started, dispatch_uid="backoffice.heartbeat_started", weak=False)
    task_success.connect(_succeeded, dispatch_uid="backoffice.heartbeat_succeeded", weak=False)
