"""What a dependency that is down looks like, and one guard for the cache.

Redis (cache, throttling, login lockout, chat rate) and PostgreSQL can go away under a running
process. The API answers 503 ``dependency_unavailable`` for them instead of a 500 (the exception
handler and ``config.middleware`` use :data:`DATABASE_ERRORS` and :data:`CACHE_ERRORS`); code
that must keep a guarantee backed by the cache wraps its cache calls in :func:`cache_required`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import InterfaceError as DbInterfaceError
from django.db import OperationalError as DbOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from config.api.errors import DependencyUnavailable

logger = logging.getLogger(__name__)

# "Cannot reach the database" (refused, reset, gone during the request). SQLite's "database is
# locked" is an OperationalError too: answering it 503 (retry) is right as well.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (DbOperationalError, DbInterfaceError)
# Django's RedisCache raises redis-py's errors as they are.
CACHE_ERRORS: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError)


@contextmanager
def cache_required(what: str) -> Iterator[None]:
    """Run a block whose guarantee rests on the cache; a cache that is down becomes a 503.

    ``what`` names the guarantee for the log (``"login lockout"``)."""
    try:
        yield
    except CACHE_ERRORS as exc:
        logger.warning("Cache unavailable, refusing a request that needs the %s: %s", what, exc)
        raise DependencyUnavailable(f"The {what} cannot be checked right now. Try again shortly.") from exc


def dependency_error_name(exc: BaseException) -> str:
    """Which dependency an error of :data:`DATABASE_ERRORS` or :data:`CACHE_ERRORS` is about."""
    return "database" if isinstance(exc, DATABASE_ERRORS) else "cache"


def is_dependency_error(exc: BaseException) -> bool:
    return isinstance(exc, DATABASE_ERRORS + CACHE_ERRORS)
