"""Small MP4 files laid out as Agora's recorder and ffmpeg write them (ISO BMFF boxes)."""

from __future__ import annotations


def box(kind: bytes, *parts: bytes) -> bytes:
    """One ISO BMFF box: 32-bit size, four-character type, payload."""
    payload = b"".join(parts)
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def mvhd(timescale: int = 1000, duration: int = 3000) -> bytes:
    # version 0, flags, creation and modification times, timescale, duration, then the rest (rate, matrix...).
    return box(b"mvhd", bytes(4), bytes(8), timescale.to_bytes(4, "big"), duration.to_bytes(4, "big"), bytes(80))


def trak(handler: bytes) -> bytes:
    # hdlr: version/flags, pre_defined, handler_type, 3 reserved words, a name.
    hdlr = box(b"hdlr", bytes(4), bytes(4), handler, bytes(12), b"Handler\x00")
    return box(b"trak", box(b"mdia", box(b"mdhd", bytes(24)), hdlr))


def mp4_bytes(
    major: bytes = b"isom",
    compatible: tuple[bytes, ...] = (b"isom", b"iso2", b"avc1", b"mp41"),
    handlers: tuple[bytes, ...] = (b"vide", b"soun"),
    moov: bytes | None = None,
) -> bytes:
    """A small MP4 as Agora and ffmpeg lay it out: ftyp, moov (mvhd: 3 s; a trak per handler), mdat."""
    ftyp = box(b"ftyp", major, (512).to_bytes(4, "big"), *compatible)
    if moov is None:
        moov = box(b"moov", mvhd(), *(trak(h) for h in handlers))
    return ftyp + moov + box(b"mdat", b"videodata")


MINIMAL_MP4 = mp4_bytes()
