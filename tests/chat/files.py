"""Small real media files, made in the tests (nothing binary is checked in)."""

from __future__ import annotations

import io

from PIL import Image

GPS_IFD = 0x8825


def image(fmt: str, size: tuple[int, int] = (32, 24), exif: Image.Exif | None = None) -> bytes:
    img = Image.new("RGB", size, (200, 30, 90))
    out = io.BytesIO()
    options = {"exif": exif.tobytes()} if exif is not None else {}
    if fmt == "GIF":
        img = img.convert("P")
    img.save(out, fmt, **options)
    return out.getvalue()


def jpeg(**kwargs) -> bytes:
    return image("JPEG", **kwargs)


def png(**kwargs) -> bytes:
    return image("PNG", **kwargs)


def webp(**kwargs) -> bytes:
    return image("WEBP", **kwargs)


def gif(**kwargs) -> bytes:
    return image("GIF", **kwargs)


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "ACME Camera"  # Make: kept
    exif[0x0112] = 1  # Orientation: kept
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 0.0)})
    return exif


def _box(kind: bytes, payload: bytes) -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def moov(*handlers: bytes) -> bytes:
    """A ``moov`` with a 3 s ``mvhd`` and a ``trak`` per handler (``vide``, ``soun``)."""
    mvhd = _box(b"mvhd", bytes(4) + bytes(8) + (1000).to_bytes(4, "big") + (3000).to_bytes(4, "big") + bytes(80))
    traks = b"".join(
        _box(b"trak", _box(b"mdia", _box(b"hdlr", bytes(4) + bytes(4) + handler + bytes(12) + b"Handler\x00")))
        for handler in handlers
    )
    return _box(b"moov", mvhd + traks)


def mp4(handlers: tuple[bytes, ...] = (b"vide", b"soun")) -> bytes:
    ftyp = _box(b"ftyp", b"isom" + (512).to_bytes(4, "big") + b"isomiso2avc1mp41")
    return ftyp + _box(b"free", b"") + moov(*handlers) + _box(b"mdat", b"\x00" * 64)


def quicktime() -> bytes:
    ftyp = _box(b"ftyp", b"qt  " + (0x200).to_bytes(4, "big") + b"qt  ")
    return ftyp + _box(b"wide", b"") + _box(b"mdat", b"\x00" * 64) + moov(b"vide")


def heic() -> bytes:
    return _box(b"ftyp", b"heic" + b"\x00\x00\x00\x00" + b"mif1heic") + _box(b"meta", b"\x00" * 16)


def _ebml_element(element_id: bytes, payload: bytes) -> bytes:
    assert len(payload) < 127
    return element_id + bytes([0x80 | len(payload)]) + payload


def ebml(doctype: bytes) -> bytes:
    header = b"".join(
        [
            _ebml_element(b"\x42\x86", b"\x01"),  # EBMLVersion
            _ebml_element(b"\x42\xf7", b"\x01"),  # EBMLReadVersion
            _ebml_element(b"\x42\xf2", b"\x04"),  # EBMLMaxIDLength
            _ebml_element(b"\x42\xf3", b"\x08"),  # EBMLMaxSizeLength
            _ebml_element(b"\x42\x82", doctype),  # DocType
            _ebml_element(b"\x42\x87", b"\x02"),  # DocTypeVersion
            _ebml_element(b"\x42\x85", b"\x02"),  # DocTypeReadVersion
        ]
    )
    segment = b"\x18\x53\x80\x67" + b"\x01\xff\xff\xff\xff\xff\xff\xff" + b"\x00" * 32
    return _ebml_element(b"\x1a\x45\xdf\xa3", header) + segment


def webm() -> bytes:
    return ebml(b"webm")


def matroska() -> bytes:
    return ebml(b"matroska")


def elf() -> bytes:
    return b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 100


def html_with_png_header() -> bytes:
    return b"\x89PNG\r\n\x1a\n<html><script>alert(document.cookie)</script></html>"


def truncated_jpeg() -> bytes:
    data = image("JPEG", size=(256, 256))
    return data[: len(data) // 2]


def app1(payload: bytes) -> bytes:
    """A JPEG APP1 segment around ``payload``."""
    return b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload


def exif_block(exif: Image.Exif) -> bytes:
    block = exif.tobytes()
    return block if block.startswith(b"Exif") else b"Exif\x00\x00" + block


def jpeg_with_segments(*segments: bytes) -> bytes:
    """A plain JPEG with ``segments`` inserted right after its SOI marker."""
    base = jpeg()
    return base[:2] + b"".join(segments) + base[2:]


def mpo_with_gps() -> bytes:
    """A multi-picture JPEG (as many phone cameras write) whose pictures carry GPS."""
    first, second = Image.new("RGB", (64, 48), (10, 20, 30)), Image.new("RGB", (64, 48), (90, 90, 90))
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[second], exif=gps_exif().tobytes())
    return out.getvalue()


def gif_bomb(canvas: int = 7000, frames: int = 30) -> bytes:
    """A few hundred bytes of GIF: a huge canvas and many one-pixel frames, each composited on it."""
    pixel = bytes([2, 2]) + (0b101000100).to_bytes(2, "little") + b"\x00"  # LZW data of one pixel
    out = bytearray(b"GIF89a" + canvas.to_bytes(2, "little") * 2 + bytes([0x81, 0, 0]) + bytes(12))
    for i in range(frames):
        out += b"\x21\xf9\x04\x04\x00\x00\x00\x00"  # graphic control: do not dispose
        out += b"\x2c" + (i % canvas).to_bytes(2, "little") + b"\x00\x00\x01\x00\x01\x00\x00" + pixel
    return bytes(out + b"\x3b")
