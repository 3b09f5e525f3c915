"""A thin HTTP gateway in front of moto's S3 server that enforces presigned-URL rules.

moto serves presigned URLs without checking them: neither the SigV4 query signature nor
``X-Amz-Date + X-Amz-Expires``. Real S3 refuses both a tampered and an expired URL with
403 ``AccessDenied``. This gateway checks exactly those two things for requests signed in the
query string (what our API hands to clients) and forwards every request, unchanged, to moto.
Header-signed SDK calls (django-storages uploads and deletes) pass straight through.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

import requests

EXPIRED = b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
BAD_SIGNATURE = (
    b"<Error><Code>SignatureDoesNotMatch</Code>"
    b"<Message>The request signature we calculated does not match the signature you provided.</Message></Error>"
)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def expected_signature(*, method: str, path: str, query: list[tuple[str, str]], host: str, secret: str) -> str:
    """SigV4 query-string signature (S3 flavour: path not re-encoded, UNSIGNED-PAYLOAD)."""
    params = dict(query)
    credential = params["X-Amz-Credential"]  # AKID/date/region/service/aws4_request
    _akid, date, region, service, _terminator = credential.split("/")
    signed_headers = params["X-Amz-SignedHeaders"]
    if signed_headers != "host":
        raise ValueError("this gateway only verifies URLs that sign the host header alone")
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query) if k != "X-Amz-Signature"
    )
    canonical_request = "\n".join([method, path, canonical_query, f"host:{host}\n", signed_headers, "UNSIGNED-PAYLOAD"])
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", params["X-Amz-Date"], scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret}".encode(), date), region), service), "aws4_request")
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


class _Handler(BaseHTTPRequestHandler):
    upstream: str = ""
    secret: str = ""

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def _refusal(self) -> bytes | None:
        parts = urlsplit(self.path)
        query = parse_qsl(parts.query, keep_blank_values=True)
        params = dict(query)
        if "X-Amz-Signature" not in params:
            return None
        try:
            signed_at = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            if datetime.now(UTC) > signed_at + timedelta(seconds=int(params["X-Amz-Expires"])):
                return EXPIRED
            wanted = expected_signature(
                method=self.command, path=parts.path, query=query, host=self.headers["Host"], secret=self.secret
            )
        except (KeyError, ValueError):
            return BAD_SIGNATURE
        return None if hmac.compare_digest(wanted, params["X-Amz-Signature"]) else BAD_SIGNATURE

    def _forward(self) -> None:
        refusal = self._refusal()
        if refusal is not None:
            self.send_response(403)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(refusal)))
            self.end_headers()
            self.wfile.write(refusal)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        upstream = requests.request(
            self.command, self.upstream + self.path, data=body, headers=headers, timeout=30, allow_redirects=False
        )
        self.send_response(upstream.status_code)
        for name, value in upstream.headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                self.send_header(name, value)
        payload = upstream.content if self.command != "HEAD" else b""
        self.send_header(
            "Content-Length",
            str(len(upstream.content) if self.command != "HEAD" else upstream.headers.get("Content-Length", "0")),
        )
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward


def start_gateway(*, upstream: str, secret: str) -> tuple[ThreadingHTTPServer, str]:
    handler = type("Handler", (_Handler,), {"upstream": upstream, "secret": secret})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
