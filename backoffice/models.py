from __future__ import annotations

from django.db import models


class JobHeartbeat(models.Model):
    """The last successful run of a periodic job, written by the job itself (``backoffice.heartbeat``).

    One row per job name: the dashboard compares ``last_success_at`` with the job's period in
    ``CELERY_BEAT_SCHEDULE`` to say whether beat and the workers are alive.
    """

    name = models.CharField(max_length=200, unique=True, help_text="The Celery task name.")
    last_success_at = models.DateTimeField()
    last_result = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "periodic job heartbeat"

    def __str__(self) -> str:
        return self.name
