from __future__ import annotations

from celery import shared_task

from accounts import tokens


@shared_task(name="accounts.tasks.password_reset_request", acks_late=True)
def password_reset_request(email: str) -> None:
    # Off the request: the API answers the same, in the same time, for every address.
    tokens.password_reset_request(email=email)
