"""Firebase Cloud Messaging, HTTP v1: the only module that builds FCM requests or reads answers.

Authentication is a service account's OAuth 2.0 JWT-bearer exchange done by google-auth against the
``token_uri`` of the credentials file (tests point it at a local server, as ``FCM_API_BASE_URL``
points ``messages:send`` at one). ``AuthorizedSession`` caches the access token until it expires
and refreshes it once on a 401.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass

import requests
from django.conf import settings
from google.auth import exceptions as google_exceptions
from google.auth.transport.requests import AuthorizedSession
from google.auth.transport.requests import Request as GoogleRequest
from google.oauth2 import service_account

logger = logging.getLogger(__name__)

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
_TRANSIENT_STATUSES = {"UNAVAILABLE", "INTERNAL", "QUOTA_EXCEEDED"}


class FcmError(Exception):
    def __init__(self, message: str, *, code: str = "", transient: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.transient = transient

    @property
    def unregistered(self) -> bool:
        return self.code == "UNREGISTERED"


@dataclass(frozen=True)
class PushMessage:
    token: str
    title: str
    body: str
    data: dict[str, str]
    high_priority: bool = False

    def as_v1(self) -> dict:
        return {
            "message": {
                "token": self.token,
                "notification": {"title": self.title, "body": self.body},
                # FCM data values must be strings.
                "data": {str(k): str(v) for k, v in self.data.items()},
                "android": {"priority": "HIGH" if self.high_priority else "NORMAL"},
                "apns": {"headers": {"apns-priority": "10" if self.high_priority else "5"}},
                "webpush": {"headers": {"Urgency": "high" if self.high_priority else "normal"}},
            }
        }


class FcmClient:
    def __init__(self, *, credentials_file: str, project_id: str = "", base_url: str, timeout: float) -> None:
        with open(credentials_file, encoding="utf-8") as handle:
            info = json.load(handle)
        credentials = service_account.Credentials.from_service_account_info(info, scopes=[SCOPE])
        self.project_id = project_id or info.get("project_id") or ""
        if not self.project_id:
            raise ValueError("FCM needs FCM_PROJECT_ID or a project_id in the credentials file")
        self.url = f"{base_url}/v1/projects/{self.project_id}/messages:send"
        self.timeout = timeout
        self._credentials = credentials
        # requests' Session is not promised to be thread-safe: one per sending thread, one shared
        # credentials object (its access token), refreshed by whichever thread finds it expired.
        self._local = threading.local()
        self._refresh_lock = threading.Lock()
        self._token_session = requests.Session()

    def _new_session(self) -> AuthorizedSession:
        session = AuthorizedSession(self._credentials)
        # requests looks the proxy and CA-bundle variables up in the environment on every request (a
        # walk over os.environ: a quarter of a push's CPU). Read them once, for this session's life.
        found = session.merge_environment_settings(self.url, {}, None, None, None)
        session.trust_env = False
        session.proxies = found["proxies"]
        session.verify = found["verify"]
        return session

    def send(self, message: PushMessage) -> str:
        """Send one message; returns FCM's message name. Raises :class:`FcmError`."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = self._new_session()
        try:
            with self._refresh_lock:  # one token exchange, however many threads start at once
                if not self._credentials.valid:
                    # A plain session: through the authorized one the exchange would start another.
                    self._credentials.refresh(GoogleRequest(self._token_session))
            response = session.post(self.url, json=message.as_v1(), timeout=self.timeout)
        except google_exceptions.TransportError as exc:
            raise FcmError(f"token exchange unreachable: {exc}", transient=True) from exc
        except google_exceptions.RefreshError as exc:
            raise FcmError(f"token exchange refused: {exc}", code="AUTH") from exc
        except requests.RequestException as exc:
            raise FcmError(f"{type(exc).__name__}: {exc}", transient=True) from exc
        if response.status_code == 200:
            return response.json().get("name", "")
        raise _error_from(response)


def _error_from(response) -> FcmError:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    status = error.get("status") or ""
    code = status
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and detail.get("errorCode"):
            code = detail["errorCode"]
    transient = response.status_code in (429, 500, 502, 503, 504) or code in _TRANSIENT_STATUSES
    text = f"FCM {response.status_code} {code}: {error.get('message') or response.text[:200]}"
    return FcmError(text, code=code, transient=transient)


_client: FcmClient | None = None
_client_key: tuple | None = None
_client_lock = threading.Lock()


def get_client() -> FcmClient | None:
    """The configured client, or ``None`` when push is off (no ``FCM_CREDENTIALS_FILE``)."""
    global _client, _client_key
    key = (settings.FCM_CREDENTIALS_FILE, settings.FCM_PROJECT_ID, settings.FCM_API_BASE_URL)
    if not settings.FCM_CREDENTIALS_FILE:
        return None
    with _client_lock:
        if _client is None or _client_key != key:
            _client = FcmClient(
                credentials_file=settings.FCM_CREDENTIALS_FILE,
                project_id=settings.FCM_PROJECT_ID,
                base_url=settings.FCM_API_BASE_URL,
                timeout=settings.FCM_TIMEOUT_SECONDS,
            )
            _client_key = key
        return _client


def is_configured() -> bool:
    return bool(settings.FCM_CREDENTIALS_FILE)
