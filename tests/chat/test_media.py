from __future__ import annotations

import io
import time
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.core.files.storage import default_storage
from PIL import Image

from chat.models import Message
from tests.chat import files
from tests.helpers.chat import messages_url, stored_files, upload

pytestmark = pytest.mark.django_db


def send_file(client, session, name: str, data: bytes, content_type: str = "application/octet-stream", **extra):
    return client.post(messages_url(session), {"file": upload(name, data, content_type), **extra}, format="multipart")


@pytest.mark.parametrize(
    ("maker", "name", "kind", "content_type", "extension"),
    [
        (files.jpeg, "photo.jpg", "image", "image/jpeg", "jpg"),
        (files.png, "shot.png", "image", "image/png", "png"),
        (files.webp, "pic.webp", "image", "image/webp", "webp"),
        (files.gif, "anim.gif", "image", "image/gif", "gif"),
        (files.mp4, "clip.mp4", "video", "video/mp4", "mp4"),
        (files.quicktime, "clip.mov", "video", "video/quicktime", "mov"),
        (files.webm, "clip.webm", "video", "video/webm", "webm"),
    ],
)
def test_each_allowed_format_is_accepted_and_stored_under_a_server_name(
    api, live_session, customer, maker, name, kind, content_type, extension
):
    data = maker()
    # The client's name and content type are ignored: lie about both.
    res = send_file(api(customer), live_session, "../../evil.txt", data, "text/plain")

    assert res.status_code == 201, res.json()
    media = res.json()["media"]
    message = Message.objects.get(pk=res.json()["id"])
    with default_storage.open(message.media.name) as fh:
        stored = fh.read()
    assert media == {"kind": kind, "content_type": content_type, "size": len(stored), "url": media["url"]}
    assert message.media.name.startswith(f"chat/{live_session.id}/")
    assert message.media.name.endswith(f".{extension}")
    assert "evil" not in message.media.name
    assert stored_files() == [message.media.name]
    if kind == "video":
        assert stored == data  # videos are stored as sent
    else:  # images are re-encoded from their pixels: the same picture, no other byte of the upload
        before, after = Image.open(io.BytesIO(data)), Image.open(io.BytesIO(stored))
        assert (after.format, after.size) == (before.format, before.size)


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("notes.png", b"just some text, not an image\n" * 4, 415, "unsupported_media_type"),
        ("page.png", files.html_with_png_header(), 415, "unsupported_media_type"),
        ("video.mp4", files.elf(), 415, "unsupported_media_type"),
        ("broken.jpg", files.truncated_jpeg(), 415, "unsupported_media_type"),
        ("movie.mkv", files.matroska(), 415, "unsupported_media_type"),
        ("photo.heic", files.heic(), 415, "unsupported_media_type"),
        ("cut.mp4", files.mp4()[:-40], 415, "unsupported_media_type"),
        ("garbage.mp4", files.mp4()[:32] + b"\xff" * 4000, 415, "unsupported_media_type"),
        ("song.mp4", files.mp4(handlers=(b"soun",)), 415, "unsupported_media_type"),
        ("no-moov.mp4", files.mp4()[: files.mp4().index(b"moov") - 4], 415, "unsupported_media_type"),
        ("cut.webm", files.webm()[:38], 415, "unsupported_media_type"),
    ],
    ids=[
        "text-as-png",
        "html-with-png-header",
        "elf-as-mp4",
        "truncated-jpeg",
        "matroska",
        "heic",
        "truncated-mp4",
        "mp4-header-then-garbage",
        "audio-only-mp4",
        "mp4-without-moov",
        "webm-without-segment",
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(api, live_session, customer, name, data, status, code):
    res = send_file(api(customer), live_session, name, data, "image/png", text="caption")

    assert res.status_code == status, res.content
    assert res.json()["error"]["code"] == code
    assert not Message.objects.exists()
    assert stored_files() == []


def test_image_over_the_image_limit_is_413(api, settings, live_session, customer):
    data = files.png(size=(64, 64))
    settings.CHAT_IMAGE_MAX_BYTES = len(data) - 1
    res = send_file(api(customer), live_session, "big.png", data)

    assert res.status_code == 413
    assert res.json()["error"]["code"] == "file_too_large"
    assert not Message.objects.exists()
    assert stored_files() == []


def test_video_limit_is_separate_from_the_image_limit(api, settings, live_session, customer):
    settings.CHAT_IMAGE_MAX_BYTES = 10
    settings.CHAT_VIDEO_MAX_BYTES = 10_000
    client = api(customer)
    assert send_file(client, live_session, "v.mp4", files.mp4()).status_code == 201
    assert send_file(client, live_session, "i.png", files.png()).status_code == 413


def test_body_larger_than_any_limit_is_refused_from_content_length(api, settings, live_session, customer):
    settings.CHAT_IMAGE_MAX_BYTES = 1000
    settings.CHAT_VIDEO_MAX_BYTES = 1000
    client = api(customer)
    res = client.generic(
        "POST",
        messages_url(live_session),
        b"x" * 10,
        content_type="multipart/form-data; boundary=zzz",
        CONTENT_LENGTH=str(5 * 1024 * 1024),
    )
    assert res.status_code == 413
    assert res.json()["error"]["code"] == "file_too_large"


def test_streamed_upload_is_stopped_once_past_the_limit(api, settings, live_session, customer):
    # Content-Length within the slack, but the file itself over the largest limit: the upload
    # handler stops reading it.
    settings.CHAT_IMAGE_MAX_BYTES = 1000
    settings.CHAT_VIDEO_MAX_BYTES = 2000
    res = send_file(api(customer), live_session, "v.mp4", files.mp4() + b"\x00" * 5000)
    assert res.status_code == 413
    assert res.json()["error"]["code"] == "file_too_large"
    assert stored_files() == []


@pytest.mark.parametrize("maker", [files.jpeg, files.png, files.webp])
def test_exif_gps_is_removed_and_other_exif_kept(api, live_session, customer, maker):
    data = maker(exif=files.gps_exif())
    assert files.GPS_IFD in Image.open(io.BytesIO(data)).getexif()

    res = send_file(api(customer), live_session, "geo", data)
    assert res.status_code == 201, res.json()
    message = Message.objects.get()
    with default_storage.open(message.media.name) as fh:
        stored = fh.read()
    exif = Image.open(io.BytesIO(stored)).getexif()
    assert files.GPS_IFD not in exif
    assert exif.get(0x010F) == "ACME Camera"
    assert message.media_size == len(stored) == res.json()["media"]["size"]


def _stored(message) -> bytes:
    with default_storage.open(message.media.name) as fh:
        return fh.read()


def test_gps_in_a_second_exif_segment_and_in_xmp_is_removed_without_re_encoding(api, live_session, customer):
    clean = Image.Exif()
    clean[0x010F] = "ACME Camera"
    gps = files.app1(files.exif_block(files.gps_exif()))
    xmp = files.app1(b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><exif:GPSLatitude>52,31N</exif:GPSLatitude>")
    data = files.jpeg_with_segments(files.app1(files.exif_block(clean)), gps, xmp)

    res = send_file(api(customer), live_session, "a.jpg", data)

    assert res.status_code == 201, res.json()
    stored = _stored(Message.objects.get())
    assert gps not in stored and b"GPSLatitude" not in stored and b"xap/1.0" not in stored
    assert Image.open(io.BytesIO(stored)).getexif().get(0x010F) == "ACME Camera"
    assert stored.endswith(files.jpeg()[files.jpeg().index(b"\xff\xdb") :])  # the picture itself is untouched


def test_multi_picture_jpeg_with_gps_keeps_its_first_picture_without_location(api, live_session, customer):
    data = files.mpo_with_gps()
    assert Image.open(io.BytesIO(data)).format == "MPO"

    res = send_file(api(customer), live_session, "photo.jpg", data)

    assert res.status_code == 201, res.json()
    assert res.json()["media"]["content_type"] == "image/jpeg"
    stored = Image.open(io.BytesIO(_stored(Message.objects.get())))
    assert stored.format == "JPEG" and stored.size == (64, 48)
    assert files.GPS_IFD not in stored.getexif()


def test_an_animation_too_big_for_its_canvas_is_refused_before_decoding(api, live_session, customer):
    data = files.gif_bomb()
    assert len(data) < 1000

    res = send_file(api(customer), live_session, "a.gif", data)

    assert res.status_code == 415
    assert res.json()["error"]["code"] == "unsupported_media_type"
    assert stored_files() == []


def test_a_modest_animation_is_accepted(api, live_session, customer):
    frames = [Image.new("P", (200, 200), i) for i in range(20)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=50)
    assert send_file(api(customer), live_session, "a.gif", out.getvalue()).status_code == 201


@pytest.mark.parametrize(
    ("maker", "extra"),
    [
        # JPEG: a GPS EXIF block after the end of the image (a second JPEG glued on)
        (files.jpeg, files.jpeg(exif=files.gps_exif())),
        # PNG: an XMP text chunk after the image data, which Pillow does not read as location
        (files.png, None),
        # GIF: an XMP application extension, which Pillow does not parse at all
        (files.gif, None),
    ],
    ids=["jpeg-trailing-image", "png-late-xmp", "gif-xmp"],
)
def test_no_byte_of_metadata_survives_wherever_it_hides(api, live_session, customer, maker, extra):
    base = maker()
    secret = b"<exif:GPSLatitude>52,31.2N</exif:GPSLatitude>"
    if maker is files.jpeg:
        data = base + extra
        secret = extra
    elif maker is files.png:
        chunk = b"iTXtXML:com.adobe.xmp\x00\x00\x00\x00\x00" + secret
        import zlib

        crc = zlib.crc32(chunk).to_bytes(4, "big")
        end = base.rindex(b"IEND") - 4
        data = base[:end] + (len(chunk) - 4).to_bytes(4, "big") + chunk + crc + base[end:]
    else:
        xmp = b"\x21\xff\x0bXMP DataXMP" + bytes([len(secret)]) + secret + b"\x00"
        data = base[:-1] + xmp + base[-1:]

    res = send_file(api(customer), live_session, "a", data)

    assert res.status_code == 201, res.json()
    with default_storage.open(Message.objects.get().media.name) as fh:
        stored = fh.read()
    assert secret not in stored and b"GPS" not in stored
    assert Image.open(io.BytesIO(stored)).size == Image.open(io.BytesIO(base)).size


def test_a_jpeg_of_endless_metadata_segments_is_refused(api, live_session, customer):
    base = files.jpeg()
    data = base[:2] + b"\xff\xfe\x00\x02" * 5000 + base[2:]  # 5000 empty comments
    res = send_file(api(customer), live_session, "a.jpg", data)
    assert res.status_code == 415
    assert stored_files() == []


# --- local storage: links this project signs and serves -------------------------------------------------


def _media_redirect(client, message_json) -> str:
    res = client.get(message_json["media"]["url"])
    assert res.status_code == 302
    assert res["Cache-Control"] == "private, no-store"
    return res["Location"]


def test_local_media_redirects_to_a_signed_url_served_with_safe_headers(api, live_session, customer, coach):
    data = files.png()
    sent = send_file(api(customer), live_session, "a.png", data).json()

    location = _media_redirect(api(coach), sent)
    assert location.startswith("http://testserver/api/v1/chat/media/")
    from django.test import Client

    res = Client().get(location)  # no login: the signature is the permission
    assert res.status_code == 200
    assert b"".join(res.streaming_content) == data
    assert res["Content-Type"] == "image/png"
    assert res["X-Content-Type-Options"] == "nosniff"
    assert res["Content-Disposition"].startswith("inline")


@pytest.mark.parametrize(
    ("header", "status", "part"),
    [
        ("bytes=0-9", 206, slice(0, 10)),
        ("bytes=10-", 206, slice(10, None)),
        ("bytes=-16", 206, slice(-16, None)),
        ("bytes=5-100000", 206, slice(5, None)),
        ("bytes=0-1,4-5", 200, slice(None)),  # several ranges: the whole file
        ("pages=1-2", 200, slice(None)),
        ("bytes=9-3", 200, slice(None)),
    ],
)
def test_local_media_honours_a_single_range_for_video_players(api, live_session, customer, header, status, part):
    from django.test import Client

    data = files.mp4()
    sent = send_file(api(customer), live_session, "clip.mp4", data).json()
    location = _media_redirect(api(customer), sent)

    res = Client().get(location, HTTP_RANGE=header)

    assert res.status_code == status
    assert res["Accept-Ranges"] == "bytes"
    assert b"".join(res.streaming_content) == data[part]
    if status == 206:
        first = part.start if part.start is None or part.start >= 0 else len(data) + part.start
        assert (
            res["Content-Range"]
            == f"bytes {first or 0}-{len(data) - 1 if part.stop is None else part.stop - 1}/{len(data)}"
        )
        assert res["Content-Type"] == "video/mp4" and res["X-Content-Type-Options"] == "nosniff"


def test_a_range_past_the_end_is_416(api, live_session, customer):
    from django.test import Client

    data = files.mp4()
    sent = send_file(api(customer), live_session, "clip.mp4", data).json()
    res = Client().get(_media_redirect(api(customer), sent), HTTP_RANGE=f"bytes={len(data)}-")
    assert res.status_code == 416
    assert res["Content-Range"] == f"bytes */{len(data)}"


def test_local_quicktime_is_served_as_an_attachment(api, live_session, customer):
    from django.test import Client

    sent = send_file(api(customer), live_session, "a.mov", files.quicktime()).json()
    res = Client().get(_media_redirect(api(customer), sent))
    assert res.status_code == 200
    assert res["Content-Type"] == "video/quicktime"
    assert res["Content-Disposition"].startswith("attachment")
    assert res["X-Content-Type-Options"] == "nosniff"


def test_tampered_signed_url_is_refused(api, live_session, customer):
    from django.test import Client

    sent = send_file(api(customer), live_session, "a.png", files.png()).json()
    location = _media_redirect(api(customer), sent)
    token = location.rstrip("/").rsplit("/", 1)[1]
    forged = location.replace(token, token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"))

    res = Client().get(forged)
    assert res.status_code == 403
    assert res.json()["error"]["code"] == "permission_denied"


def test_expired_signed_url_is_refused(api, settings, live_session, customer):
    from django.test import Client

    sent = send_file(api(customer), live_session, "a.png", files.png()).json()
    settings.CHAT_MEDIA_URL_TTL_SECONDS = -1  # links made now are already past their expiry
    location = _media_redirect(api(customer), sent)

    res = Client().get(location)
    assert res.status_code == 403
    assert "expired" in res.json()["error"]["message"]


# --- S3 (moto's server over real HTTP) -------------------------------------------------------------------


def _s3_keys(s3) -> list[str]:
    return [obj["Key"] for obj in s3.list_objects_v2(Bucket=s3.bucket).get("Contents", [])]


def test_s3_upload_and_presigned_url_returns_the_same_bytes(api, s3_storage, settings, live_session, customer):
    settings.CHAT_MEDIA_URL_TTL_SECONDS = 120
    data = files.webp()
    sent = send_file(api(customer), live_session, "a.webp", data)
    assert sent.status_code == 201, sent.json()
    message = Message.objects.get()
    assert _s3_keys(s3_storage) == [message.media.name]
    head = s3_storage.head_object(Bucket=s3_storage.bucket, Key=message.media.name)
    assert head["ContentType"] == "image/webp"

    location = _media_redirect(api(customer), sent.json())
    query = parse_qs(urlparse(location).query)
    assert query["X-Amz-Expires"] == ["120"]
    assert "X-Amz-Signature" in query
    fetched = requests.get(location, timeout=10)
    assert fetched.status_code == 200
    with message.media.open("rb") as fh:
        assert fetched.content == fh.read()
    assert Image.open(io.BytesIO(fetched.content)).size == Image.open(io.BytesIO(data)).size


def test_s3_presigned_url_is_refused_after_the_configured_ttl(api, s3_storage, settings, live_session, customer):
    # moto alone serves presigned URLs forever; the s3_storage endpoint puts a gateway in front that
    # enforces S3's rules (X-Amz-Date + X-Amz-Expires, and the SigV4 signature): tests/s3_gateway.py.
    settings.CHAT_MEDIA_URL_TTL_SECONDS = 1
    sent = send_file(api(customer), live_session, "a.png", files.png()).json()
    location = _media_redirect(api(customer), sent)
    query = parse_qs(urlparse(location).query)
    assert query["X-Amz-Expires"] == ["1"]
    assert requests.get(location, timeout=10).status_code == 200
    time.sleep(2.1)
    refused = requests.get(location, timeout=10)
    assert refused.status_code == 403
    assert b"Request has expired" in refused.content


def test_s3_presigned_url_with_a_stretched_expiry_is_refused(api, s3_storage, settings, live_session, customer):
    settings.CHAT_MEDIA_URL_TTL_SECONDS = 60
    sent = send_file(api(customer), live_session, "a.png", files.png()).json()
    location = _media_redirect(api(customer), sent)
    assert requests.get(location, timeout=10).status_code == 200
    stretched = location.replace("X-Amz-Expires=60", "X-Amz-Expires=604800")
    refused = requests.get(stretched, timeout=10)
    assert refused.status_code == 403
    assert b"SignatureDoesNotMatch" in refused.content


def test_s3_refused_upload_leaves_no_object(api, s3_storage, live_session, customer):
    res = send_file(api(customer), live_session, "x.png", files.html_with_png_header())
    assert res.status_code == 415
    assert _s3_keys(s3_storage) == []


def test_two_files_in_one_message_are_refused(api, live_session, customer):
    res = api(customer).post(
        messages_url(live_session),
        {"file": [upload("a.png", files.png()), upload("b.png", files.png())]},
        format="multipart",
    )
    assert res.status_code == 400
    assert res.json()["error"]["fields"]["file"]
    assert stored_files() == []


def test_a_video_of_millions_of_tiny_boxes_is_refused(api, live_session, customer):
    data = files.mp4() + b"\x00\x00\x00\x08free" * 150_000  # well formed, but 150,000 empty boxes
    res = send_file(api(customer), live_session, "v.mp4", data)
    assert res.status_code == 415
    assert stored_files() == []
