"""Firebase Cloud Messaging, HTTP v1: the only module that builds FCM requests or reads answers.

Authentication is a service account's OAuth 2.0 JWT-bearer exchange done by google-auth against the
``token_uri`` of the credentials file (tests point it at a local server, as ``FCM_API_BASE_URL``
points ``messages:send`` at one). The access token is kept until it expires, and exchanged again
once when FCM answers 401. Messages go over urllib3's kept-alive connections.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass

import certifi
import requests
import urllib3
from django.conf import settings
from google.auth import exceptions as google_exceptions
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
        self.timeout = urllib3.Timeout(connect=timeout, read=timeout)
        # One credentials object (its access token) shared by every sending thread, refreshed by
        # whichever finds it expired; the exchange goes through google-auth's requests transport.
        self._credentials = credentials
        self._refresh_lock = threading.Lock()
        self._token_session = requests.Session()
        self._http = _pool_for(self.url)

    def _token(self, *, stale: str | None = None) -> str:
        """The access token; a new one when it expired, or when ``stale`` (the token FCM refused
        with a 401) is still the current one. One exchange, however many threads ask at once."""
        with self._refresh_lock:
            if not self._credentials.valid or (stale is not None and self._credentials.token == stale):
                self._credentials.refresh(GoogleRequest(self._token_session))
            return self._credentials.token

    def send(self, message: PushMessage) -> str:
        """Send one message; returns FCM's message name. Raises :class:`FcmError`."""
        body = json.dumps(message.as_v1()).encode()
        stale = None
        for _ in range(2):
            try:
                token = self._token(stale=stale)
                response = self._http.request(
                    "POST",
                    self.url,
                    body=body,
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json; charset=UTF-8"},
                    timeout=self.timeout,
                    retries=False,
                    redirect=False,
                )
            except google_exceptions.TransportError as exc:
                raise FcmError(f"token exchange unreachable: {exc}", transient=True) from exc
            except google_exceptions.RefreshError as exc:
                raise FcmError(f"token exchange refused: {exc}", code="AUTH") from exc
            except urllib3.exceptions.HTTPError as exc:
                raise FcmError(f"{type(exc).__name__}: {exc}", transient=True) from exc
            if response.status != 401 or stale is not None:
                break
            stale = token  # revoked or expired early: one fresh exchange and one more try
        if response.status == 200:
            return json.loads(response.data).get("name", "")
        raise _error_from(response.status, response.data)


def _pool_for(url: str) -> urllib3.PoolManager:
    """A thread-safe pool of kept-alive connections, with the proxy and CA bundle the environment
    names for ``url`` read once (``HTTPS_PROXY``/``NO_PROXY``, ``REQUESTS_CA_BUNDLE``), as requests
    would. urllib3 directly: requests' per-request machinery (settings merged, hooks, cookies, the
    environment walked again) was most of a push's CPU."""
    proxies = requests.utils.get_environ_proxies(url)
    proxy = proxies.get(url.split(":", 1)[0]) or proxies.get("all")
    ca_certs = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or certifi.where()
    options = {
        "maxsize": max(4, settings.NOTIFICATION_SEND_THREADS),  # a kept connection per sending thread
        "cert_reqs": "CERT_REQUIRED",
        "ca_certs": ca_certs,
    }
    if proxy:
        return urllib3.ProxyManager(proxy, **options)
    return urllib3.PoolManager(**options)


def _error_from(status: int, data: bytes) -> FcmError:
    try:
        error = json.loads(data).get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = error.get("status") or ""
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and detail.get("errorCode"):
            code = detail["errorCode"]
    transient = status in (429, 500, 502, 503, 504) or code in _TRANSIENT_STATUSES
    text = f"FCM {status} {code}: {error.get('message') or data[:200].decode('utf-8', 'replace')}"
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
