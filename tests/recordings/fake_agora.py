"""A local HTTP server that plays Agora's Cloud Recording REST API for the tests.

It checks what the project sends (Basic auth, paths, mode, file types, storage config, uids,
token) and answers like Agora: ``resourceId`` / ``sid`` on success, ``{"code", "reason"}`` or
``{"message"}`` with Agora's HTTP statuses on errors. Tests can queue error answers per action.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATH_RE = re.compile(
    r"^/v1/apps/(?P<app>[^/]+)/cloud_recording/"
    r"(?:(?P<acquire>acquire)"
    r"|resourceid/(?P<rid>[^/]+)/mode/(?P<mode1>[^/]+)/start"
    r"|resourceid/(?P<rid2>[^/]+)/sid/(?P<sid>[^/]+)/mode/(?P<mode2>[^/]+)/(?P<action>query|stop))$"
)


@dataclass
class FakeAgora:
    app_id: str
    customer_id: str
    customer_secret: str
    url: str = ""
    requests: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # action -> list of (status, body) answered before the normal behaviour
    queued: dict[str, list[tuple[int, dict]]] = field(default_factory=dict)
    resources: dict[str, dict] = field(default_factory=dict)
    recordings: dict[str, dict] = field(default_factory=dict)
    stop_upload_status: str = "uploaded"
    lock: threading.Lock = field(default_factory=threading.Lock)

    def queue(self, action: str, status: int, body: dict) -> None:
        self.queued.setdefault(action, []).append((status, body))

    def calls(self, action: str) -> list[dict]:
        return [r for r in self.requests if r["action"] == action]

    def mp4_key(self, sid: str) -> str:
        rec = self.recordings[sid]
        return "/".join(rec["prefix"]) + f"/{sid}_{rec['cname']}_0.mp4"

    # --- request handling ---------------------------------------------------------------------

    def handle(self, method: str, path: str, headers, body: bytes) -> tuple[int, dict]:
        match = PATH_RE.match(path)
        if not match:
            return 404, {"message": "no Route matched with those values"}
        action = "acquire" if match["acquire"] else ("start" if match["mode1"] else match["action"])
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            data = {}
        with self.lock:
            self.requests.append({"action": action, "method": method, "path": path, "body": data})
        expected = "Basic " + base64.b64encode(f"{self.customer_id}:{self.customer_secret}".encode()).decode()
        if headers.get("Authorization") is None:
            return 401, {"message": "Unauthorized"}
        if headers.get("Authorization") != expected:
            return 401, {"message": "Invalid authentication credentials"}
        if match["app"] != self.app_id:
            return 400, {"message": "appid is invalid"}
        with self.lock:
            if self.queued.get(action):
                return self.queued[action].pop(0)
        return getattr(self, f"_{action}")(match, method, data)

    def _problem(self, text: str) -> tuple[int, dict]:
        self.problems.append(text)
        return 400, {"code": 2, "reason": text}

    def _acquire(self, match, method, data) -> tuple[int, dict]:
        if method != "POST":
            return 404, {"message": "no Route matched with those values"}
        if not data.get("cname") or not isinstance(data.get("uid"), str) or "clientRequest" not in data:
            return self._problem("acquire: cname, uid (string) and clientRequest are required")
        resource_id = secrets.token_urlsafe(48)
        self.resources[resource_id] = {"cname": data["cname"], "uid": data["uid"]}
        return 200, {"resourceId": resource_id}

    def _start(self, match, method, data) -> tuple[int, dict]:
        resource = self.resources.get(match["rid"])
        if resource is None:
            return 404, {"code": 404, "reason": "resource not found"}
        if match["mode1"] != "mix":
            return self._problem(f"start: mode {match['mode1']} is not mix")
        if data.get("cname") != resource["cname"] or data.get("uid") != resource["uid"]:
            return self._problem("start: cname/uid differ from acquire")
        request = data.get("clientRequest") or {}
        if not request.get("token"):
            return self._problem("start: token missing")
        if (request.get("recordingFileConfig") or {}).get("avFileType") != ["hls", "mp4"]:
            return self._problem("start: avFileType must be ['hls', 'mp4']")
        storage = request.get("storageConfig") or {}
        for key in ("vendor", "region", "bucket", "accessKey", "secretKey"):
            if key not in storage:
                return self._problem(f"start: storageConfig.{key} missing")
        if not isinstance(storage["vendor"], int) or not isinstance(storage["region"], int):
            return self._problem("start: vendor and region must be numbers")
        config = request.get("recordingConfig") or {}
        decryption = {key: config[key] for key in ("decryptionMode", "secret", "salt") if key in config}
        if decryption:
            problem = _decryption_problem(decryption)
            if problem:
                return self._problem(f"start: {problem}")
        prefix = storage.get("fileNamePrefix") or []
        if not all(isinstance(p, str) and p.isalnum() for p in prefix):
            return self._problem("start: fileNamePrefix entries must be letters and digits")
        sid = secrets.token_hex(16)
        self.recordings[sid] = {
            "resource_id": match["rid"],
            "cname": data["cname"],
            "uid": data["uid"],
            "token": request["token"],
            "storage": storage,
            "decryption": decryption,
            "prefix": prefix,
            "stopped": False,
        }
        return 200, {"resourceId": match["rid"], "sid": sid}

    def _query(self, match, method, data) -> tuple[int, dict]:
        rec = self.recordings.get(match["sid"])
        if rec is None or rec["stopped"]:
            return 404, {"code": 404, "reason": "failed to find worker"}
        return 200, {"resourceId": match["rid2"], "sid": match["sid"], "serverResponse": {"status": 5, "fileList": []}}

    def _stop(self, match, method, data) -> tuple[int, dict]:
        sid = match["sid"]
        rec = self.recordings.get(sid)
        if match["mode2"] != "mix":
            return self._problem(f"stop: mode {match['mode2']} is not mix")
        if rec is None:
            return 404, {"code": 404, "reason": "failed to find worker"}
        if rec["stopped"]:
            return 404, {"code": 49, "reason": "The recording is already stopped."}
        rec["stopped"] = True
        base = "/".join(rec["prefix"]) + f"/{sid}_{rec['cname']}"
        return 200, {
            "resourceId": match["rid2"],
            "sid": sid,
            "serverResponse": {
                "fileListMode": "json",
                "fileList": [
                    {"fileName": f"{base}.m3u8", "trackType": "audio_and_video", "uid": "0", "mixedAllUser": True},
                    {"fileName": f"{base}_0.mp4", "trackType": "audio_and_video", "uid": "0", "mixedAllUser": True},
                ],
                "uploadingStatus": self.stop_upload_status,
            },
        }


def _decryption_problem(decryption: dict) -> str:
    """What Agora's start needs when the channel is encrypted: all three fields, a numeric mode,
    the participants' key, and (for the GCM2 modes) a base64 salt of 32 bytes."""
    missing = {"decryptionMode", "secret", "salt"} - set(decryption)
    if missing:
        return f"recordingConfig.{sorted(missing)[0]} missing"
    if not isinstance(decryption["decryptionMode"], int) or not 1 <= decryption["decryptionMode"] <= 8:
        return "recordingConfig.decryptionMode must be Agora's number (1-8)"
    if not isinstance(decryption["secret"], str) or not decryption["secret"]:
        return "recordingConfig.secret must be a non-empty string"
    try:
        salt = base64.b64decode(decryption["salt"], validate=True)
    except (ValueError, TypeError):
        return "recordingConfig.salt must be base64"
    if len(salt) != 32:
        return "recordingConfig.salt must decode to 32 bytes"
    return ""


def serve(fake: FakeAgora) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, answer = fake.handle(self.command, self.path, self.headers, body)
            raw = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = _any

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
