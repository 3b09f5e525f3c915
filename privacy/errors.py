from __future__ import annotations

from config.api.errors import ApplicationError


class ExportThrottled(ApplicationError):
    code = "throttled"
    status_code = 429
    default_message = "You asked for an export recently. Try again later."

    def __init__(self, retry_after: int) -> None:
        hours = max(1, round(retry_after / 3600))
        super().__init__(f"One data export a day: the next one is possible in about {hours} hour(s).")
        self.retry_after = retry_after


class BadExportToken(Exception):
    pass
