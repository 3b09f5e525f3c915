"""Thin tasks: load by id, call a service. Each is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from privacy import services


@shared_task
def build_export(export_id: str) -> str:
    export = services.data_export_build(export_id=export_id)
    return export.status if export else "missing"


@shared_task
def sweep_exports() -> dict:
    return services.data_exports_sweep()


@shared_task
def retry_pending_deletions() -> dict:
    result = services.pending_deletions_retry()
    result["erasures_resumed"] = services.erasures_resume()
    return result
