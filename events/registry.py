"""Who consumes the outbox. Satellites register in their ``AppConfig.ready``:

    register_consumer("webhooks", fan_out_to_endpoints, handle_many=fan_out_many)

A handler takes the :class:`~events.models.Event` and runs inside the transaction that writes the
consumer's receipt, so what it writes (deliveries, notifications) commits with the receipt or not
at all. It must not call out to the network: enqueue that work (``config.tasks.enqueue_on_commit``).
``handle_many`` (optional) takes a list of events for batch relays (the sweep, bulk emits) and must
do what ``handler`` would do for each of them, in fewer queries.
"""

from __future__ import annotations

from collections.abc import Callable

Handler = Callable[["object"], None]
BatchHandler = Callable[[list], None]

_consumers: dict[str, Handler] = {}
_batch_handlers: dict[str, BatchHandler] = {}


def register_consumer(name: str, handler: Handler, *, handle_many: BatchHandler | None = None) -> None:
    _consumers[name] = handler
    if handle_many is not None:
        _batch_handlers[name] = handle_many
    else:
        _batch_handlers.pop(name, None)


def batch_handler(name: str) -> BatchHandler | None:
    return _batch_handlers.get(name)


def consumers() -> dict[str, Handler]:
    return dict(_consumers)
