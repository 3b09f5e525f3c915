"""Who consumes the outbox. Satellites register in their ``AppConfig.ready``:

    register_consumer("webhooks", fan_out_to_endpoints)

A handler takes the :class:`~events.models.Event` and runs inside the transaction that writes the
consumer's receipt, so what it writes (deliveries, notifications) commits with the receipt or not
at all. It must not call out to the network: enqueue that work (``config.tasks.enqueue_on_commit``).
"""

from __future__ import annotations

from collections.abc import Callable

Handler = Callable[["object"], None]

_consumers: dict[str, Handler] = {}


def register_consumer(name: str, handler: Handler) -> None:
    _consumers[name] = handler


def consumers() -> dict[str, Handler]:
    return dict(_consumers)
