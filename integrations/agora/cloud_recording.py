"""Agora Cloud Recording REST client: the only module that speaks HTTP to Agora.

acquire -> start (``mix`` mode, HLS + MP4 into our S3 bucket) -> query -> stop, with Basic auth
from ``AGORA_CUSTOMER_ID:AGORA_CUSTOMER_SECRET`` against ``AGORA_API_BASE_URL``.

Retries: connection errors, timeouts, 5xx and 429 are retried with exponential backoff (Agora's
docs: 429 is the rate limit, 5xx and a lost connection are transient); 4xx answers are final,
except a bare 404 on stop: Agora answers query/update/stop with 404 for up to about a minute
during its high-availability failover, so stop retries it before concluding "already stopped".
"""

from __future__ import annotations

import base64
import logging
import time
from dataclasses import dataclass

import requests
from django.conf import settings

from integrations.agora._values import RecordedFile, recorded_files

logger = logging.getLogger(__name__)

# Agora's numeric region codes for Amazon S3 (storageConfig.vendor = 1), from
# "Third-party cloud storage regions" in the Cloud Recording reference.
AWS_REGION_CODES: dict[str, int] = {
    "us-east-1": 0,
    "us-east-2": 1,
    "us-west-1": 2,
    "us-west-2": 3,
    "eu-west-1": 4,
    "eu-west-2": 5,
    "eu-west-3": 6,
    "eu-central-1": 7,
    "ap-southeast-1": 8,
    "ap-southeast-2": 9,
    "ap-northeast-1": 10,
    "ap-northeast-2": 11,
    "sa-east-1": 12,
    "ca-central-1": 13,
    "ap-south-1": 14,
    "cn-north-1": 15,
    "cn-northwest-1": 16,
    "af-south-1": 18,
    "ap-east-1": 19,
    "ap-northeast-3": 20,
    "eu-north-1": 21,
    "me-south-1": 22,
    "ap-southeast-3": 24,
    "eu-south-1": 25,
}
VENDOR_AMAZON_S3 = 1

# Agora's answers to a stop that mean "nothing left to stop".
CODE_NO_RECORDED_DATA = 435
CODE_ALREADY_STOPPED = 49
FINAL_NOT_FOUND_CODES = (CODE_NO_RECORDED_DATA, CODE_ALREADY_STOPPED)


class AgoraError(Exception):
    """Agora refused or could not be reached. ``transient`` errors may succeed on a later try."""

    def __init__(
        self, message: str, *, http_status: int | None = None, code: int | None = None, transient: bool = False
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code
        self.transient = transient


class AgoraNotConfigured(AgoraError):
    pass


class NoRecordedData(AgoraError):
    """Stop answered 404 with code 435: the recorder never got any stream, there is no file."""


class AlreadyStopped(AgoraError):
    """Stop answered that the recorder is already gone: code 49 at once, or a bare 404 (for
    example "failed to find worker") on every one of the retries."""


# The stop answer's uploadingStatus once every file is in our bucket ("backuped": Agora kept a
# copy on its own storage and uploads it later, and reports it as done).
UPLOAD_DONE_STATUSES = ("uploaded", "backuped")


@dataclass(frozen=True)
class StopResult:
    files: tuple[RecordedFile, ...] = ()
    uploading_status: str = ""

    @property
    def upload_done(self) -> bool:
        return self.uploading_status in UPLOAD_DONE_STATUSES


def is_configured() -> bool:
    return bool(
        settings.AGORA_APP_ID
        and settings.AGORA_APP_CERTIFICATE
        and settings.AGORA_CUSTOMER_ID
        and settings.AGORA_CUSTOMER_SECRET
    )


def storage_region_code() -> int:
    override = getattr(settings, "AGORA_RECORDING_REGION", None)
    if override is not None and override != "":
        return int(override)
    region = (settings.AWS_S3_REGION_NAME or "us-east-1").lower()
    try:
        return AWS_REGION_CODES[region]
    except KeyError:
        raise AgoraNotConfigured(f"No Agora region code is known for the S3 region {region!r}.") from None


def _auth_header() -> str:
    raw = f"{settings.AGORA_CUSTOMER_ID}:{settings.AGORA_CUSTOMER_SECRET}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def _url(path: str) -> str:
    return f"{settings.AGORA_API_BASE_URL.rstrip('/')}/v1/apps/{settings.AGORA_APP_ID}/cloud_recording/{path}"


def _request(method: str, path: str, body: dict | None = None, *, retry_not_found: bool = False) -> dict:
    """One call with the module's retries. ``retry_not_found``: a 404 whose body carries none of
    the codes that say what happened (``FINAL_NOT_FOUND_CODES``) is retried too."""
    if not is_configured():
        raise AgoraNotConfigured("Agora cloud recording credentials are not configured.")
    attempts = max(1, int(getattr(settings, "AGORA_HTTP_RETRIES", 3)))
    backoff = float(getattr(settings, "AGORA_HTTP_BACKOFF_SECONDS", 0.5))
    timeout = (
        float(getattr(settings, "AGORA_HTTP_CONNECT_TIMEOUT", 5)),
        float(getattr(settings, "AGORA_HTTP_TIMEOUT", 20)),
    )
    headers = {"Authorization": _auth_header(), "Content-Type": "application/json;charset=utf-8"}
    url = _url(path)
    last: AgoraError | None = None
    for attempt in range(attempts):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            response = requests.request(method, url, json=body, headers=headers, timeout=timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            last = AgoraError(f"Agora could not be reached: {exc}", transient=True)
            logger.warning("agora %s %s: %s (attempt %s)", method, path, exc, attempt + 1)
            continue
        try:
            data = response.json()
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if response.status_code == 200:
            return data
        code = data.get("code")
        reason = data.get("reason") or data.get("message") or response.reason
        transient = response.status_code == 429 or response.status_code >= 500
        retry = transient or (retry_not_found and response.status_code == 404 and code not in FINAL_NOT_FOUND_CODES)
        last = AgoraError(
            f"Agora answered {response.status_code}: {reason}",
            http_status=response.status_code,
            code=code if isinstance(code, int) else None,
            transient=transient,
        )
        last.data = data  # type: ignore[attr-defined]
        if not retry:
            raise last
        logger.warning("agora %s %s: HTTP %s (attempt %s)", method, path, response.status_code, attempt + 1)
    assert last is not None
    raise last


def acquire(*, channel_name: str, uid: int) -> str:
    data = _request(
        "POST",
        "acquire",
        {"cname": channel_name, "uid": str(uid), "clientRequest": {"resourceExpiredHour": 24, "scene": 0}},
    )
    resource_id = data.get("resourceId")
    if not resource_id:
        raise AgoraError("Agora's acquire answer has no resourceId.")
    return resource_id


def start(
    *,
    resource_id: str,
    channel_name: str,
    uid: int,
    token: str,
    file_name_prefix: list[str],
    max_idle_seconds: int = 120,
    encryption_key: str | None = None,
    encryption_salt: str | None = None,
) -> str:
    """Start a ``mix`` recording into the recordings bucket; returns Agora's ``sid``.

    With ``encryption_key`` (and ``encryption_salt``), the recorder decrypts the channel's media
    with the participants' AES_128_GCM2 settings (``recordingConfig.decryptionMode/secret/salt``)."""
    recording_config: dict = {
        "channelType": int(getattr(settings, "AGORA_CHANNEL_PROFILE", 0)),
        "streamTypes": 2,
        "maxIdleTime": max_idle_seconds,
        "transcodingConfig": {"width": 1280, "height": 720, "fps": 15, "bitrate": 1130, "mixedVideoLayout": 1},
    }
    if encryption_key:
        recording_config["decryptionMode"] = int(getattr(settings, "AGORA_RECORDING_DECRYPTION_MODE", 7))
        recording_config["secret"] = encryption_key
        recording_config["salt"] = encryption_salt or ""
    body = {
        "cname": channel_name,
        "uid": str(uid),
        "clientRequest": {
            "token": token,
            "recordingConfig": recording_config,
            "recordingFileConfig": {"avFileType": ["hls", "mp4"]},
            "storageConfig": {
                "vendor": int(getattr(settings, "AGORA_RECORDING_STORAGE_VENDOR", VENDOR_AMAZON_S3)),
                "region": storage_region_code(),
                "bucket": settings.AWS_RECORDINGS_BUCKET_NAME,
                "accessKey": settings.AWS_ACCESS_KEY_ID or "",
                "secretKey": settings.AWS_SECRET_ACCESS_KEY or "",
                "fileNamePrefix": file_name_prefix,
            },
        },
    }
    data = _request("POST", f"resourceid/{resource_id}/mode/mix/start", body)
    sid = data.get("sid")
    if not sid:
        raise AgoraError("Agora's start answer has no sid.")
    return sid


def query(*, resource_id: str, sid: str) -> dict:
    return _request("GET", f"resourceid/{resource_id}/sid/{sid}/mode/mix/query")


def stop(*, resource_id: str, sid: str, channel_name: str, uid: int) -> StopResult:
    body = {"cname": channel_name, "uid": str(uid), "clientRequest": {"async_stop": False}}
    try:
        data = _request("POST", f"resourceid/{resource_id}/sid/{sid}/mode/mix/stop", body, retry_not_found=True)
    except AgoraError as exc:
        if exc.code == CODE_NO_RECORDED_DATA:
            raise NoRecordedData(
                "Agora recorded no data (no stream was published).", http_status=exc.http_status, code=exc.code
            )
        if exc.code == CODE_ALREADY_STOPPED or exc.http_status == 404:
            raise AlreadyStopped(str(exc), http_status=exc.http_status, code=exc.code)
        raise
    server = data.get("serverResponse")
    server = server if isinstance(server, dict) else {}
    return StopResult(
        files=recorded_files(server.get("fileList")), uploading_status=str(server.get("uploadingStatus") or "")
    )
