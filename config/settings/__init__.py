"""Settings, read from the environment, in one module per concern.

A fresh checkout runs with no variables at all: SQLite, eager Celery tasks, the
in-memory cache and channel layer, files on the local disk. Setting
``DATABASE_URL`` / ``REDIS_URL`` / ``AWS_STORAGE_BUCKET_NAME`` switches to the
real services. With ``DJANGO_DEBUG=false`` the settings refuse to load without
a real secret key, allowed hosts and the Agora app credentials.

- ``base``: environment helpers, apps, middleware, database and its pool, languages, files;
- ``services``: Redis (cache, channel layer, Celery and beat), storage (local or S3), Agora;
- ``rules``: the product's numbers (booking, calls, chat, policies, webhooks, notifications);
- ``api``: DRF, knox, the OpenAPI document, request sizes, logging;
- ``security``: production refusals and headers, admin lockout, CSP.
"""

from config.settings.api import *  # noqa: F403
from config.settings.base import *  # noqa: F403
from config.settings.rules import *  # noqa: F403
from config.settings.security import *  # noqa: F403
from config.settings.services import *  # noqa: F403
