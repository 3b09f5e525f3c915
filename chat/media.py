"""What an uploaded file really is, decided from its bytes (never its name or the client's type).

``prepare_upload`` sniffs the magic bytes, enforces the size limit of the kind, makes images prove
themselves by decoding them completely with Pillow, and removes location metadata (EXIF GPS, XMP):
JPEGs lose their APP1 segments without being re-encoded; other formats are re-encoded when they
carry any. Nothing here touches the storage.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.uploadhandler import FileUploadHandler
from PIL import Image, ImageSequence, JpegImagePlugin

from chat.errors import FileTooLarge, UnsupportedMediaType
from config import mp4

HEAD_BYTES = 4096
GPS_IFD = 0x8825
MAX_IMAGE_PIXELS = 50_000_000
MAX_FRAMES = 2000
# Every frame of an animation is composited on the whole canvas: the cost is canvas x frames,
# so a few kilobytes of GIF could otherwise keep a worker busy for minutes.
MAX_ANIMATION_PIXELS = 250_000_000

# MP4 family brands that mean video. Image brands of the same box format (HEIC, AVIF) are not videos.
MP4_BRANDS = {
    b"isom",
    b"iso2",
    b"iso3",
    b"iso4",
    b"iso5",
    b"iso6",
    b"mp41",
    b"mp42",
    b"avc1",
    b"M4V ",
    b"M4VH",
    b"M4VP",
    b"dash",
    b"msnv",
    b"f4v ",
    b"mmp4",
}
STILL_IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}


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
    if major == b"qt  ":
        return QUICKTIME
    if brands & STILL_IMAGE_BRANDS:
        return None
    if brands & MP4_BRANDS:
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


def upload_limit() -> int:
    """The most any single upload may be, before we know what it is."""
    return max(settings.CHAT_IMAGE_MAX_BYTES, settings.CHAT_VIDEO_MAX_BYTES)


def _decode_image(fileobj, media_type: MediaType) -> Image.Image:
    """Open, verify and fully decode every frame; any failure means it is not a usable image."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            fileobj.seek(0)
            with Image.open(fileobj, formats=[media_type.pillow_format]) as probe:
                width, height = probe.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ValueError("too many pixels")  # a decompression bomb is refused, not decoded
                frames = getattr(probe, "n_frames", 1)  # read from the frame headers, nothing decoded
                if frames > MAX_FRAMES or width * height * frames > MAX_ANIMATION_PIXELS:
                    raise ValueError("too many frames for the canvas")
                probe.verify()
            fileobj.seek(0)
            image = Image.open(fileobj, formats=[media_type.pillow_format])
            for index, frame in enumerate(ImageSequence.Iterator(image)):
                if index >= frames:
                    raise ValueError("more frames than announced")
                frame.load()
            image.seek(0)
            return image
        # Pillow decodes untrusted bytes: whatever it raises (OSError, SyntaxError, ValueError,
        # struct.error, a decompression bomb, ...) means "not an acceptable image", never a 500.
        except Exception:
            raise UnsupportedMediaType(
                f"The file is not a valid {media_type.pillow_format} image (damaged or truncated)."
            )


def _has_location(image: Image.Image) -> bool:
    if GPS_IFD in image.getexif():
        return True
    xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp") or b""
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8", "replace")
    return b"GPS" in xmp


def _clean_exif(image: Image.Image) -> bytes:
    """The image's EXIF without its GPS IFD, as the payload of a JPEG APP1 segment."""
    exif = image.getexif()
    if GPS_IFD in exif:
        del exif[GPS_IFD]
    if not len(exif):
        return b""
    block = exif.tobytes()
    return block if block.startswith(b"Exif") else b"Exif\x00\x00" + block


def _jpeg_segments(data: bytes) -> tuple[list[bytes], bytes]:
    """Split a JPEG into its header segments (SOI excluded) and the rest from the start of scan."""
    segments: list[bytes] = []
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ValueError("not a marker")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xDA, 0xD9):  # start of scan, end of image: the rest is kept as it is
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            segments.append(data[pos : pos + 2])
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if length < 2 or pos + 2 + length > len(data):
            raise ValueError("bad segment length")
        segments.append(data[pos : pos + 2 + length])
        pos += 2 + length
    return segments, data[pos:]


def _jpeg_without_location(data: bytes, image: Image.Image) -> bytes:
    """Drop every APP1 segment (EXIF and XMP, wherever and however often they appear) and put back
    one EXIF block without GPS. The compressed image is untouched: no re-encoding, no loss."""
    segments, rest = _jpeg_segments(data)
    kept = [segment for segment in segments if segment[1] != 0xE1]
    exif = _clean_exif(image)
    if exif and len(exif) + 2 <= 0xFFFF:
        at = 1 if kept and kept[0][1] == 0xE0 else 0  # after a JFIF APP0, as the standard wants
        kept.insert(at, b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif)
    return data[:2] + b"".join(kept) + rest


def _without_location(image: Image.Image, media_type: MediaType) -> bytes:
    """Re-encode without the GPS IFD and XMP; other EXIF (orientation) and the ICC profile are kept.

    A multi-picture JPEG (MPO: many phone cameras) keeps only its first picture, as a plain JPEG:
    the others carry EXIF blocks of their own."""
    options: dict = {"format": media_type.pillow_format, "exif": _clean_exif(image)}
    if icc := image.info.get("icc_profile"):
        options["icc_profile"] = icc
    if media_type is JPEG:
        image.seek(0)
        # The picture's own quantisation and subsampling: no visible loss. ("keep" would refuse an MPO.)
        options.update(qtables=image.quantization, subsampling=JpegImagePlugin.get_sampling(image))
    else:
        if media_type is WEBP:
            options.update(quality=95)
        if getattr(image, "n_frames", 1) > 1:
            options["save_all"] = True
    out = io.BytesIO()
    image.save(out, **options)
    return out.getvalue()


def _strip_location(data: bytes, image: Image.Image, media_type: MediaType) -> bytes:
    try:
        if media_type is JPEG:
            if getattr(image, "n_frames", 1) > 1:
                return _without_location(image, media_type)
            return _jpeg_without_location(data, image)
        if _has_location(image):
            return _without_location(image, media_type)
        return data
    except Exception:  # Pillow or our segment walk could not rewrite it: refuse, never store GPS
        raise UnsupportedMediaType(f"The {media_type.pillow_format} image could not be cleaned of its metadata.")


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
    image = _decode_image(io.BytesIO(data), media_type)
    try:
        data = _strip_location(data, image, media_type)
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

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):  # noqa: N803
        if content_length and content_length > self.max_bytes + 1024 * 1024:
            raise FileTooLarge(f"Uploads can be at most {self.max_bytes} bytes.")
        return None

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.max_bytes:
            raise FileTooLarge(f"Uploads can be at most {self.max_bytes} bytes.")
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
