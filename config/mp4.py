"""Reading ISO base media files (MP4 and QuickTime): what a file holds, never a parse error.

``inspect`` walks the box structure (every box must fit inside its parent and the file), reads the
brands of ``ftyp``, the duration of ``moov/mvhd`` and whether a ``trak`` has a video handler. Only
box headers and a few small bodies are read, so it is cheap on a 100 MiB video. The brand families
live here once; what to accept is the caller's policy (chat takes QuickTime, recordings do not).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

INT32_MAX = 2**31 - 1
MAX_BOXES = 100_000

QUICKTIME_BRAND = b"qt  "
# ftyp brands of MP4 video: ISO base media, MPEG-4, AVC, Apple M4V, DASH/CMAF, Flash, Sony, phones.
VIDEO_BRANDS = frozenset({
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9",
    b"mp41", b"mp42", b"avc1", b"M4V ", b"M4VH", b"M4VP", b"dash", b"cmfc", b"msdh", b"msix",
    b"f4v ", b"XAVC", b"MSNV", b"msnv", b"mmp4",
})  # fmt: skip
# The same container holding something else: a still image (HEIF/HEIC, AVIF), audio only (M4A,
# audiobooks) or a camera's raw photo.
NOT_VIDEO_BRANDS = frozenset({
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"mif2",
    b"msf1", b"miaf", b"avif", b"avis", b"avio", b"jpeg", b"M4A ", b"M4B ", b"M4P ", b"F4A ",
    b"F4B ", b"crx ",
})  # fmt: skip
_MAX_FTYP = 4096


class Mp4Error(ValueError):
    """The file is not a well-formed MP4/QuickTime file; the message says why, for a person."""


@dataclass(frozen=True)
class Mp4Info:
    major_brand: bytes
    brands: frozenset[bytes]
    has_moov: bool  # False: an incomplete recording (or an image or other file of the same format)
    duration_seconds: int | None
    has_video: bool


def kind_name(kind: bytes) -> str:
    text = kind.decode("latin-1")
    return text if kind.isascii() and text.isprintable() else repr(kind)


def _boxes(fileobj: IO[bytes], start: int, stop: int):
    """The boxes between ``start`` and ``stop``: ``(type, body start, body end)``, each checked to
    fit inside its parent. At most MAX_BOXES of them: real files have a handful at each level, and
    millions of 8-byte boxes would otherwise cost seconds to walk."""
    offset, count = start, 0
    while offset < stop:
        count += 1
        if count > MAX_BOXES:
            raise Mp4Error(f"The file has more than {MAX_BOXES} boxes at one level; it is not a usable video.")
        fileobj.seek(offset)
        header = fileobj.read(8)
        if len(header) < 8 or offset + 8 > stop:
            raise Mp4Error("The file is damaged: a box header is cut off (the file is truncated).")
        size, kind = int.from_bytes(header[:4], "big"), header[4:8]
        header_len = 8
        if size == 1:
            large = fileobj.read(8)
            if len(large) < 8:
                raise Mp4Error("The file is damaged: a box header is cut off (the file is truncated).")
            size, header_len = int.from_bytes(large, "big"), 16
        elif size == 0:
            size = stop - offset  # "to the end"
        if size < header_len or offset + size > stop:
            raise Mp4Error(f"The file is damaged: its '{kind_name(kind)}' box is truncated or malformed.")
        yield kind, offset + header_len, offset + size
        offset += size


def inspect(fileobj: IO[bytes]) -> Mp4Info:
    """What the MP4/QuickTime file ``fileobj`` holds. Raises Mp4Error when its structure is broken
    (a box cut off or overrunning its parent) or its ``moov`` has no ``mvhd``."""
    try:
        return _inspect(fileobj)
    except Mp4Error:
        raise
    except (IndexError, ValueError, OverflowError, OSError) as exc:  # defence in depth
        raise Mp4Error(f"The file could not be read: {exc}.") from None
    finally:
        fileobj.seek(0)


def _inspect(fileobj: IO[bytes]) -> Mp4Info:
    fileobj.seek(0, 2)
    end = fileobj.tell()
    fileobj.seek(0)
    head = fileobj.read(8)
    if len(head) < 8 or head[4:8] != b"ftyp":
        raise Mp4Error("This is not an MP4 file (no 'ftyp' box first).")
    boxes = _boxes(fileobj, 0, end)
    _, start, stop = next(boxes)
    fileobj.seek(start)
    ftyp = fileobj.read(min(stop - start, _MAX_FTYP))
    if len(ftyp) < 8:
        raise Mp4Error("The file is damaged: its 'ftyp' box is truncated.")
    major = ftyp[:4]
    brands = frozenset({major} | {ftyp[i : i + 4] for i in range(8, len(ftyp) - 3, 4)})
    moov = None
    for kind, body_start, body_end in boxes:  # walks to the end: a cut-off last box is found too
        if kind == b"moov" and moov is None:
            moov = (body_start, body_end)
    if moov is None:
        return Mp4Info(major_brand=major, brands=brands, has_moov=False, duration_seconds=None, has_video=False)
    duration, has_video = _moov(fileobj, *moov)
    return Mp4Info(major_brand=major, brands=brands, has_moov=True, duration_seconds=duration, has_video=has_video)


def _moov(fileobj: IO[bytes], start: int, stop: int) -> tuple[int | None, bool]:
    duration, has_mvhd, has_video = None, False, False
    for kind, body_start, body_end in _boxes(fileobj, start, stop):
        if kind == b"mvhd":
            duration, has_mvhd = _mvhd_duration(fileobj, body_start, body_end), True
        elif kind == b"trak" and _handler(fileobj, body_start, body_end) == b"vide":
            has_video = True
    if not has_mvhd:
        raise Mp4Error("The file is damaged: no 'mvhd' box in its 'moov'.")
    return duration, has_video


def _handler(fileobj: IO[bytes], start: int, stop: int) -> bytes | None:
    """The handler type of a ``trak`` (``trak/mdia/hdlr``): ``vide``, ``soun``, ``pict``... (QuickTime's
    component subtype sits at the same offset)."""
    for kind, mdia_start, mdia_end in _boxes(fileobj, start, stop):
        if kind != b"mdia":
            continue
        for inner, body_start, body_end in _boxes(fileobj, mdia_start, mdia_end):
            if inner == b"hdlr":
                fileobj.seek(body_start)
                body = fileobj.read(min(body_end - body_start, 12))
                if len(body) < 12:
                    raise Mp4Error("The file is damaged: a 'hdlr' box is truncated.")
                return body[8:12]  # after version/flags and pre_defined (QuickTime: component type)
    return None


def _mvhd_duration(fileobj: IO[bytes], start: int, stop: int) -> int | None:
    fileobj.seek(start)
    body = fileobj.read(min(stop - start, 32))
    version = body[0] if body else None
    if version is None or len(body) < (32 if version == 1 else 20):
        raise Mp4Error("The file is damaged: its 'mvhd' box is truncated.")
    if version == 1:
        timescale = int.from_bytes(body[20:24], "big")
        length, unknown = int.from_bytes(body[24:32], "big"), 2**64 - 1
    else:
        timescale = int.from_bytes(body[12:16], "big")
        length, unknown = int.from_bytes(body[16:20], "big"), 2**32 - 1
    if not timescale or length == unknown:
        return None
    seconds = length // timescale
    return seconds if seconds <= INT32_MAX else None
