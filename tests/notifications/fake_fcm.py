"""A local server speaking FCM HTTP v1 ``messages:send`` and Google's OAuth 2.0 token exchange.

The token endpoint checks the service account's JWT assertion (RS256 signature with the file's
key, issuer, audience, the firebase.messaging scope) before it hands out an access
token; ``messages:send`` accepts only that token and answers as FCM does, including
``UNREGISTERED`` (404) and ``UNAVAILABLE`` (503) for the tokens listed in ``unregistered`` /
``unavailable``.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

PROJECT = "test-project"
CLIENT_EMAIL = f"push@{PROJECT}.iam.gserviceaccount.com"
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
_SEND = re.compile(r"^/v1/projects/([^/]+)/messages:send$")


def _b64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


class FakeFcm:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.issued: set[str] = set()
        self.token_requests = 0
        self.messages: list[dict] = []
        self.unregistered: set[str] = set()
        self.unavailable: set[str] = set()
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def sent_to(self, token: str) -> list[dict]:
        with self.lock:
            return [m for m in self.messages if m["message"]["token"] == token]

    def _check_assertion(self, assertion: str) -> bool:
        try:
            header_b64, claims_b64, signature_b64 = assertion.split(".")
            self.key.public_key().verify(
                _b64url(signature_b64), f"{header_b64}.{claims_b64}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
            header, claims = json.loads(_b64url(header_b64)), json.loads(_b64url(claims_b64))
        except Exception:
            return False
        now = time.time()
        return (
            header.get("alg") == "RS256"
            and claims.get("iss") == CLIENT_EMAIL
            # google-auth names Google's token endpoint as the audience, wherever token_uri sends it.
            and claims.get("aud") in (self.token_uri, GOOGLE_TOKEN_AUDIENCE)
            and SCOPE in (claims.get("scope") or "").split()
            and claims.get("iat", 0) - 300 <= now <= claims.get("exp", 0)
        )

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # one answer, one packet: no 40 ms delayed-ACK stalls

            def log_message(self, *args) -> None:
                pass

            def _answer(self, status: int, body: dict) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/token":
                    form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                    if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" or not (
                        fake._check_assertion(form.get("assertion", ""))
                    ):
                        return self._answer(400, {"error": "invalid_grant", "error_description": "Invalid JWT."})
                    token = "ya29." + secrets.token_urlsafe(24)
                    with fake.lock:
                        fake.issued.add(token)
                        fake.token_requests += 1
                    return self._answer(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})
                match = _SEND.match(self.path)
                if not match:
                    return self._answer(404, {"error": {"code": 404, "message": "Not found", "status": "NOT_FOUND"}})
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("Bearer ") or auth[7:] not in fake.issued:
                    return self._answer(
                        401, {"error": {"code": 401, "message": "Invalid credentials", "status": "UNAUTHENTICATED"}}
                    )
                body = json.loads(raw)
                message = body.get("message") or {}
                token = message.get("token", "")
                if match.group(1) != PROJECT or not token:
                    return self._answer(
                        400, {"error": {"code": 400, "message": "bad request", "status": "INVALID_ARGUMENT"}}
                    )
                if token in fake.unregistered:
                    return self._answer(
                        404,
                        {
                            "error": {
                                "code": 404,
                                "message": "Requested entity was not found.",
                                "status": "NOT_FOUND",
                                "details": [
                                    {
                                        "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                                        "errorCode": "UNREGISTERED",
                                    }
                                ],
                            }
                        },
                    )
                if token in fake.unavailable:
                    return self._answer(
                        503, {"error": {"code": 503, "message": "The service is unavailable.", "status": "UNAVAILABLE"}}
                    )
                with fake.lock:
                    fake.messages.append(body)
                    number = len(fake.messages)
                return self._answer(200, {"name": f"projects/{PROJECT}/messages/{number}"})

        return Handler


def write_service_account(path: Path, server: FakeFcm) -> Path:
    pem = server.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": PROJECT,
                "private_key_id": "test-key-1",
                "private_key": pem,
                "client_email": CLIENT_EMAIL,
                "client_id": "1234567890",
                "token_uri": server.token_uri,
            }
        )
    )
    return path
