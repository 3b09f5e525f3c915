"""Django's HTTP requests under ASGI with one thread hop a request, on a bounded pool of threads.

Django's own ``ASGIHandler`` gives every request a thread of its own (a new ``ThreadSensitiveContext``:
a new OS thread a request, and nothing bounds how many) and, with a middleware stack that is
synchronous (ours: Django's, WhiteNoise, django-csp, axes), crosses between the event loop and that
thread about six times a request: the ``request_started`` signal, into the middleware, back to the
loop to resolve the URL, into the view, back out, and ``request_finished``. Profiled under uvicorn
that was the largest difference between ASGI and WSGI for the same view (README, Production serving).

Here the event loop reads the body and sends the answer; everything of Django in between (signals,
middleware, view, rendering) runs as WSGI runs it, in one call on one of ``WEB_THREADS`` threads,
so a burst of requests queues for a thread instead of piling threads onto the database pool. A
streaming answer (file downloads, ranged media) is sent from its thread chunk by chunk, as a WSGI
server would, rather than read whole into memory first as Django's handler does, and stops when the
client goes away. WebSockets are not here: they stay with Channels (``config/asgi.py``).
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import SyncToAsync
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse
from django.urls import set_script_prefix


def start_message(response) -> dict:
    """``http.response.start`` of a response, as ``ASGIHandler.send_response`` writes it."""
    headers = []
    for header, value in response.items():
        if isinstance(header, str):
            header = header.encode("ascii")
        if isinstance(value, str):
            value = value.encode("latin1")
        headers.append((bytes(header), bytes(value)))
    for cookie in response.cookies.values():
        headers.append((b"Set-Cookie", cookie.output(header="").encode("ascii").strip()))
    return {"type": "http.response.start", "status": response.status_code, "headers": headers}


class ThreadPoolASGIHandler(ASGIHandler):
    def __init__(self, threads: int) -> None:
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)  # the WSGI stack: no adaptation between sync and async
        self.threads = threads
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="http")
        # asgiref's bridge rather than run_in_executor: async_to_sync in a view (the channel layer's
        # group_send) then runs on this event loop instead of a new one.
        self._serve_in_thread = SyncToAsync(self._serve, thread_sensitive=False, executor=self._executor)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        gone = threading.Event()
        watch = asyncio.create_task(self._watch_disconnect(receive, gone))
        try:
            response = await self._serve_in_thread(scope, body_file, send, asyncio.get_running_loop(), gone)
            if response is not None:
                await self.send_response(response, send)
        finally:
            watch.cancel()
            body_file.close()

    @staticmethod
    async def _watch_disconnect(receive, gone: threading.Event) -> None:
        if (await receive())["type"] == "http.disconnect":
            gone.set()

    def _serve(self, scope, body_file, send, loop, gone: threading.Event):
        """The request's Django work, in one thread. A plain response comes back closed (the database
        connection is back in its pool before the bytes go out); a streaming one is sent from here."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
        response._handler_class = self.__class__
        if not response.streaming:
            response.close()
            return None if gone.is_set() else response
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        try:
            self._stream(response, send, loop, gone)
        finally:
            response.close()
        return None

    def _stream(self, response, send, loop, gone: threading.Event) -> None:
        def push(message: dict) -> None:
            asyncio.run_coroutine_threadsafe(send(message), loop).result()

        push(start_message(response))
        for part in response:
            for chunk, _last in self.chunk_bytes(part):
                if gone.is_set():
                    return
                push({"type": "http.response.body", "body": chunk, "more_body": True})
        push({"type": "http.response.body"})
