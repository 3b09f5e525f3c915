"""File answers that honour a single HTTP ``Range`` (RFC 9110 section 14), for the files this project
serves itself from local storage: video players (Safari and iOS always) seek with range requests.

One range only (``bytes=0-1023``, ``bytes=1024-``, ``bytes=-500``); several ranges or a malformed
header are ignored and the whole file is sent, as the RFC allows. A range past the end is 416 with
``Content-Range: bytes */<size>``.
"""

from __future__ import annotations

import re

from django.http import FileResponse, HttpResponse, StreamingHttpResponse

_RANGE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$")
_CHUNK = 64 * 1024


def _parse(header: str, size: int) -> tuple[int, int] | None | str:
    """(first, last) byte positions, None to send the whole file, "unsatisfiable" for a 416."""
    match = _RANGE.match(header.strip())
    if not match or (not match[1] and not match[2]):
        return None
    if not match[1]:  # a suffix: the last N bytes
        length = int(match[2])
        if length == 0:
            return "unsatisfiable"
        return max(0, size - length), size - 1
    first = int(match[1])
    last = int(match[2]) if match[2] else size - 1
    if match[2] and last < first:
        return None  # invalid: ignored
    if first >= size:
        return "unsatisfiable"
    return first, min(last, size - 1)


def _slice(handle, first: int, last: int):
    try:
        handle.seek(first)
        remaining = last - first + 1
        while remaining > 0:
            chunk = handle.read(min(_CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


def file_response(request, handle, *, size: int, content_type: str, as_attachment: bool = False, filename: str = ""):
    """The whole file (200) or the asked range of it (206); always ``Accept-Ranges: bytes``."""
    wanted = _parse(request.headers.get("Range", ""), size) if request.headers.get("Range") else None
    if wanted == "unsatisfiable":
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    elif wanted is None:
        response = FileResponse(handle, content_type=content_type, as_attachment=as_attachment, filename=filename)
    else:
        first, last = wanted
        response = StreamingHttpResponse(_slice(handle, first, last), status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Content-Length"] = str(last - first + 1)
        if filename:
            disposition = "attachment" if as_attachment else "inline"
            response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Accept-Ranges"] = "bytes"
    return response
