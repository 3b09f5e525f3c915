"""The ASGI handler for HTTP (config/asgi_http.py): Django's answers, bytes and headers, from one
thread hop a request on a bounded pool; streaming answers go out chunk by chunk from their thread
and stop when the client leaves."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from django.core import signals
from django.db import connection
from django.http import HttpResponse, StreamingHttpResponse
from django.test import override_settings
from django.urls import path

from config.asgi import application
from config.asgi_http import ThreadPoolASGIHandler

pytestmark = pytest.mark.django_db(transaction=True)

produced: list[int] = []
seen_threads: set[str] = set()


def _stream(request):
    def parts():
        for i in range(50):
            produced.append(i)
            yield bytes([65 + i % 26]) * 1000
            time.sleep(0.005)

    return StreamingHttpResponse(parts(), content_type="text/plain")


def _slow(request):
    seen_threads.add(threading.current_thread().name)
    time.sleep(0.05)
    response = HttpResponse(b"ok", content_type="text/plain")
    response.set_cookie("flavour", "plain")
    response["X-Vendor"] = "é"
    return response


def _db(request):
    seen_threads.add(threading.current_thread().name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse(str(connection.connection is not None))


urlpatterns = [path("stream", _stream), path("slow", _slow), path("db", _db)]


def _scope(path: str) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }


async def _call(app, path: str, leave_after: int | None = None, sent: list | None = None) -> list[dict]:
    sent = [] if sent is None else sent
    left = asyncio.Event()
    body_sent = False

    async def receive():
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await left.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        if leave_after is not None and len(sent) > leave_after:
            left.set()

    await asyncio.wait_for(app(_scope(path), receive, send), timeout=20)
    return sent


@pytest.fixture
def routes():
    with override_settings(ROOT_URLCONF=__name__):
        produced.clear()
        seen_threads.clear()
        yield


def test_an_api_answer_comes_whole_with_its_headers(db):
    sent = asyncio.run(_call(application, "/api/v1/health"))
    start, *body = sent
    assert start["type"] == "http.response.start" and start["status"] == 200
    headers = dict(start["headers"])
    assert headers[b"Content-Type"] == b"application/json"
    assert b'"database":"ok"' in b"".join(m["body"] for m in body)
    assert body[-1].get("more_body", False) is False


def test_cookies_and_latin1_headers_are_written_as_djangos_handler_writes_them(routes):
    start = asyncio.run(_call(application, "/slow"))[0]
    assert (b"X-Vendor", "é".encode("latin1")) in start["headers"]
    assert (b"Set-Cookie", b"flavour=plain; Path=/") in start["headers"]


def test_a_streaming_answer_goes_out_in_chunks_from_its_thread(routes):
    sent = asyncio.run(_call(application, "/stream"))
    chunks = [m for m in sent if m["type"] == "http.response.body" and m.get("body")]
    assert len(chunks) == 50 and sent[-1] == {"type": "http.response.body"}
    assert b"".join(m["body"] for m in chunks)[:2000] == b"A" * 1000 + b"B" * 1000


def test_a_stream_stops_when_the_client_leaves(routes):
    asyncio.run(_call(application, "/stream", leave_after=5))
    time.sleep(0.2)
    assert len(produced) < 20  # not all 50 parts were made for nobody


def test_a_burst_waits_for_the_threads_instead_of_adding_threads(routes):
    handler = ThreadPoolASGIHandler(threads=3)

    async def burst():
        return await asyncio.gather(*(_call(handler, "/slow") for _ in range(12)))

    answers = asyncio.run(burst())
    assert [a[0]["status"] for a in answers] == [200] * 12
    assert len(seen_threads) <= 3


def test_request_finished_runs_in_the_requests_thread_before_the_answer_goes_out(routes):
    """``request_finished`` hands the thread's database connection back (to its pool): it must run
    in the thread that used the connection, and need not wait for the client to read the answer."""
    events: list[tuple[str, str, int]] = []
    sent: list[dict] = []

    def finished(**kwargs):
        events.append(("finished", threading.current_thread().name, len(sent)))

    signals.request_finished.connect(finished)
    try:
        asyncio.run(_call(ThreadPoolASGIHandler(threads=2), "/db", sent=sent))
    finally:
        signals.request_finished.disconnect(finished)
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b"True"
    assert events == [("finished", seen_threads.pop(), 0)]  # in the view's thread, before any message
