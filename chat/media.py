"""What an uploaded file really is, decided from its bytes (never its name or the client's type).

``prepare_upload`` sniffs the magic bytes, enforces the size limit of the kind, makes images prove
themselves by decoding what is kept with Pillow, and re-encodes every image from its pixels, so
location data (EXIF GPS, XMP, text chunks, trailing data) cannot survive; videos must be
well-formed containers. Nothing here touches the storage.
"""

from __future__ import annotations

import io
import time
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.uploadhandler import FileUploadHandler
from PIL import Image, ImageSequence, JpegImagePlugin

from chat.errors import FileTooLarge, UnsupportedMediaType
from config import mp4
from config.api.body_limit import ENVELOPE_BYTES, upload_body_max_bytes, upload_max_bytes

HEAD_BYTES = 4096
GPS_IFD = 0x8825
MAX_IMAGE_PIXELS = 50_000_000
MAX_FRAMES = 2000
# Decoding and re-encoding cost about canvas x frames: every frame of an animation is composited on
# the whole canvas, so a 1.6 MB GIF of 350x350 with 1,999 frames (245 million) took 9 s of CPU.
# The budget of each format keeps the whole check (decode and re-encode) near or under 1 s of CPU on
# this project's 2-core machine (scripts/bench_media.py): JPEG decodes and encodes fastest, lossy WebP
# encoding is the slowest.
WORK_BUDGET_PIXELS = {"JPEG": 50_000_000, "PNG": 25_000_000, "GIF": 25_000_000, "WEBP": 20_000_000}
# And whatever the estimate says, decoding stops once it has used this much CPU time.
DECODE_CPU_SECONDS = 0.6
MAX_JPEG_SEGMENTS = 1000


@dataclass(frozen=True)
class MediaType:
    kind: str  # "image" | "video"
    content_type: str
    extension: str
    pillow_format: str | None = None


JPEG = MediaType("image", "image/jpeg", "jpg", "JPEG")
PNG = MediaType("image", "image/png", "png", "PNG")
WEBP = MediaType("image", "image/webp", "webp", "WEBP")
GIF = MediaType("image", "image/gif", "gif", "GIF")
MP4 = MediaType("video", "video/mp4", "mp4")
QUICKTIME = MediaType("video", "video/quicktime", "mov")
WEBM = MediaType("video", "video/webm", "webm")

# Types a browser shows inline. Anything else is served as an attachment.
DISPLAYABLE = {"image/jpeg", "image/png", "image/webp", "image/gif", "video/mp4", "video/webm"}


@dataclass
class PreparedMedia:
    type: MediaType
    content: File
    size: int

    @property
    def kind(self) -> str:
        return self.type.kind

    @property
    def content_type(self) -> str:
        return self.type.content_type


def _vint(buf: bytes, pos: int, *, strip_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at ``pos``: (value, length in bytes)."""
    if pos >= len(buf) or buf[pos] == 0:
        raise ValueError("bad EBML integer")
    length = 9 - buf[pos].bit_length()
    if pos + length > len(buf):
        raise ValueError("short EBML integer")
    value = int.from_bytes(buf[pos : pos + length], "big")
    if strip_marker:
        value &= (1 << (7 * length)) - 1
    return value, length


def _ebml_doctype(head: bytes) -> str | None:
    """The DocType of an EBML header (``webm``, ``matroska``), or None."""
    try:
        size, n = _vint(head, 4, strip_marker=True)
        pos = 4 + n
        end = min(len(head), pos + size)
        while pos < end:
            element_id, n = _vint(head, pos, strip_marker=False)
            pos += n
            size, n = _vint(head, pos, strip_marker=True)
            pos += n
            if element_id == 0x4282:
                return head[pos : pos + size].rstrip(b"\0").decode("ascii")
            pos += size
    except (ValueError, UnicodeDecodeError):
        return None
    return None


def _ftyp_type(head: bytes) -> MediaType | None:
    box_size = int.from_bytes(head[0:4], "big")
    if len(head) < 16 or box_size < 16:
        return None
    major = head[8:12]
    compatible = [head[i : i + 4] for i in range(16, min(box_size, len(head)) - 3, 4)]
    brands = {major, *compatible}
    if major == mp4.QUICKTIME_BRAND:
        return QUICKTIME
    if brands & mp4.NOT_VIDEO_BRANDS:  # HEIC, AVIF, M4A...: the same boxes, but not a video
        return None
    if brands & mp4.VIDEO_BRANDS:
        return MP4
    return None


def sniff(head: bytes) -> MediaType | None:
    """The allowed type the first bytes of a file announce, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp":
        return _ftyp_type(head)
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return WEBM if _ebml_doctype(head) == "webm" else None
    return None


def size_limit(kind: str) -> int:
    return settings.CHAT_IMAGE_MAX_BYTES if kind == "image" else settings.CHAT_VIDEO_MAX_BYTES


def _decode_image(fileobj, media_type: MediaType) -> Image.Image:
    """Open, verify and fully decode what is kept; any failure means it is not a usable image.

    A JPEG keeps only its first picture (a multi-picture MPO lists others, each of its own size, and
    they are dropped), so only that one is decoded. Animations are bounded by canvas x frames before
    anything is decoded, and decoding by its CPU time."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            fileobj.seek(0)
            with Image.open(fileobj, formats=[media_type.pillow_format]) as probe:
                width, height = probe.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ValueError("too many pixels")  # a decompression bomb is refused, not decoded
                frames = 1 if media_type is JPEG else getattr(probe, "n_frames", 1)  # headers only
                if frames > MAX_FRAMES or width * height * frames > WORK_BUDGET_PIXELS[media_type.pillow_format]:
                    raise ValueError("too many frames for the canvas")
                if media_type is not JPEG:
                    probe.verify()
            fileobj.seek(0)
            image = Image.open(fileobj, formats=[media_type.pillow_format])
            started = time.thread_time()
            for index, frame in enumerate(ImageSequence.Iterator(image)):
                if index >= frames:
                    break
                if frame.size != (width, height):
                    raise ValueError("a frame of another size than the canvas")
                frame.load()
                if time.thread_time() - started > DECODE_CPU_SECONDS:
                    raise ValueError("decoding takes too long")
            image.seek(0)
            return image
        # Pillow decodes untrusted bytes: whatever it raises (OSError, SyntaxError, ValueError,
        # struct.error, a decompression bomb, ...) means "not an acceptable image", never a 500.
        except Exception:
            raise UnsupportedMediaType(
                f"The file is not a valid {media_type.pillow_format} image (damaged or truncated)."
            )


def _clean_exif(image: Image.Image) -> bytes:
    """The image's EXIF without its GPS IFD (empty when nothing else is left)."""
    exif = image.getexif()
    if GPS_IFD in exif:
        del exif[GPS_IFD]
    if not len(exif):
        return b""
    return exif.tobytes()


def _jpeg_header_segments_within_limit(data: bytes) -> bool:
    """At most MAX_JPEG_SEGMENTS marker segments before the first scan: Pillow parses every one in
    Python, so a file of millions of empty segments would cost seconds before it is refused."""
    pos, count = 2, 0
    while pos + 4 <= len(data) and count <= MAX_JPEG_SEGMENTS:
        if data[pos] != 0xFF:
            return True  # not ours to judge: Pillow decides
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0xDA, 0xD9):
            return True
        count += 1
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return count <= MAX_JPEG_SEGMENTS


def _reencode(image: Image.Image, media_type: MediaType) -> bytes:
    """The picture again, from its pixels, with its ICC profile and its EXIF minus GPS: nothing else
    of the upload (XMP, text chunks, other segments, trailing data, further MPO pictures) survives.
    JPEGs keep their own quantisation tables and subsampling, so there is no visible loss; PNG and
    GIF are lossless; animations keep their frames and timing."""
    options: dict = {"format": media_type.pillow_format}
    if media_type in (JPEG, GIF):
        # Pillow writes the source's comment (JPEG COM, GIF comment extension) back unless told otherwise.
        options["comment"] = b""
    if exif := _clean_exif(image):
        options["exif"] = exif
    if icc := image.info.get("icc_profile"):
        options["icc_profile"] = icc
    image.seek(0)
    if media_type is JPEG:
        options.update(qtables=image.quantization, subsampling=JpegImagePlugin.get_sampling(image))
        if image.info.get("progressive") or image.info.get("progression"):
            options["progressive"] = True
    else:
        if media_type is WEBP:
            options.update(lossless=bool(image.info.get("lossless")), quality=95)
        if getattr(image, "n_frames", 1) > 1:
            options["save_all"] = True
        for key in ("duration", "loop", "transparency", "disposal"):
            if key in image.info:
                options[key] = image.info[key]
    out = io.BytesIO()
    image.save(out, **options)
    return out.getvalue()


def _check_video(fileobj, media_type: MediaType) -> None:
    """Videos are not decoded, but their container must hold together: for MP4 and QuickTime every
    box fits in the file and a ``moov`` with a video track is there (a cut-off upload has none or a
    truncated box); for WebM the EBML header is followed by its Segment."""
    if media_type is WEBM:
        fileobj.seek(0)
        head = fileobj.read(HEAD_BYTES)
        fileobj.seek(0)
        if not _ebml_has_segment(head):
            raise UnsupportedMediaType("The file is not a valid WebM video (damaged or truncated).")
        return
    try:
        info = mp4.inspect(fileobj)
    except mp4.Mp4Error as exc:
        raise UnsupportedMediaType(f"The file is not a valid video. {exc}") from None
    if not info.has_moov or not info.has_video:
        raise UnsupportedMediaType("The file is not a playable video: it has no video track (or is incomplete).")


def _ebml_has_segment(head: bytes) -> bool:
    try:
        size, n = _vint(head, 4, strip_marker=True)
        return head[4 + n + size : 4 + n + size + 4] == b"\x18\x53\x80\x67"
    except ValueError:
        return False


def prepare_upload(uploaded) -> PreparedMedia:
    """Check an uploaded file and return what to store. Raises 413/415 domain errors."""
    uploaded.seek(0)
    head = uploaded.read(HEAD_BYTES)
    media_type = sniff(head)
    if media_type is None:
        raise UnsupportedMediaType()
    size = uploaded.size
    if size > size_limit(media_type.kind):
        raise FileTooLarge(
            f"{media_type.kind.capitalize()}s can be at most {size_limit(media_type.kind)} bytes; this one is {size}."
        )
    uploaded.seek(0)
    if media_type.kind == "video":
        _check_video(uploaded, media_type)
        content = File(uploaded)
        return PreparedMedia(type=media_type, content=content, size=size)

    # Images are at most CHAT_IMAGE_MAX_BYTES: decode them from memory, where Pillow may close
    # and reopen its file object freely.
    data = uploaded.read()
    if media_type is JPEG and not _jpeg_header_segments_within_limit(data):
        raise UnsupportedMediaType("The JPEG has too many metadata segments.")
    image = _decode_image(io.BytesIO(data), media_type)
    try:
        data = _reencode(image, media_type)
    except Exception:  # Pillow could not write it back: refuse rather than store the original
        raise UnsupportedMediaType(f"The {media_type.pillow_format} image could not be re-encoded.") from None
    finally:
        image.close()
    return PreparedMedia(type=media_type, content=ContentFile(data), size=len(data))


class UploadLimitHandler(FileUploadHandler):
    """First in the upload handler chain: stops reading a body as soon as it is too large.

    ``handle_raw_input`` refuses on the announced Content-Length before any byte is read; the
    chunk check covers chunked uploads that announce nothing.
    """

    def __init__(self, request=None, *, max_bytes: int) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > self.max_bytes + ENVELOPE_BYTES:
            raise FileTooLarge(f"Uploads can be at most {self.max_bytes} bytes.")
        return None

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.max_bytes:
            raise FileTooLarge(f"Uploads can be at most {self.max_bytes} bytes.")
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def limit_upload(request) -> None:
    """Refuse an oversized body from its Content-Length, before reading it (called before the view
    reads the body); the upload handler put first in the chain also stops a body without one as
    soon as it grows past the limit."""
    max_bytes = upload_max_bytes()
    try:
        content_length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        content_length = 0
    if content_length > upload_body_max_bytes():
        raise FileTooLarge(f"Uploads can be at most {max_bytes} bytes.")
    request.upload_handlers = [UploadLimitHandler(request, max_bytes=max_bytes), *request.upload_handlers]
