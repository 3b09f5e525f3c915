"""The CPU one upload may cost, and comments that must not survive re-encoding."""

from __future__ import annotations

import io

from django.core.files.storage import default_storage
from PIL import Image

from chat import media
from chat.models import Message
from tests.chat import files
from tests.chat.test_media import send_file
from tests.helpers.chat import stored_files

SECRET = b"taken at 52.5200N 13.4050E by Jane"


def _stored() -> bytes:
    with default_storage.open(Message.objects.get().media.name) as fh:
        return fh.read()


def test_jpeg_comment_segments_are_removed(api, live_session, customer):
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 10, 10)).save(out, "JPEG", comment=SECRET)
    assert SECRET in out.getvalue()

    res = send_file(api(customer), live_session, "a.jpg", out.getvalue())

    assert res.status_code == 201, res.json()
    stored = _stored()
    assert SECRET not in stored and b"\xff\xfe" not in stored.split(b"\xff\xda")[0]
    assert "comment" not in Image.open(io.BytesIO(stored)).info


def test_gif_comment_extensions_are_removed(api, live_session, customer):
    frames = [Image.new("L", (20, 20), 80 * i) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=40, comment=SECRET)
    assert SECRET in out.getvalue()

    res = send_file(api(customer), live_session, "a.gif", out.getvalue())

    assert res.status_code == 201, res.json()
    stored = _stored()
    assert SECRET not in stored and b"\x21\xfe" not in stored
    assert Image.open(io.BytesIO(stored)).n_frames == 3


def test_the_probes_animation_is_refused_cheaply(api, live_session, customer):
    # 350x350 with 1,999 frames: under the old 250-megapixel bound, about 9 s of CPU to decode.
    # Refused from its header before any frame is decoded; scripts/bench_media.py prints the CPU it costs.
    data = files.gif_bomb(canvas=350, frames=1999)

    res = send_file(api(customer), live_session, "a.gif", data)

    assert res.status_code == 415
    assert res.json()["error"]["code"] == "unsupported_media_type"
    assert stored_files() == []


def test_an_animation_at_the_budget_is_accepted(api, live_session, customer):
    side = 350
    count = media.WORK_BUDGET_PIXELS["GIF"] // (side * side)
    frames = [Image.new("L", (side, side), 0) for _ in range(count)]
    for index, frame in enumerate(frames):
        frame.putpixel((index % side, index // side), 1 + index % 200)
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=20)
    assert Image.open(io.BytesIO(out.getvalue())).n_frames == count

    # Its CPU cost (about 0.7 s on this machine) is printed by scripts/bench_media.py, not timed here.
    res = send_file(api(customer), live_session, "a.gif", out.getvalue())

    assert res.status_code == 201, res.json()
    assert Image.open(io.BytesIO(_stored())).n_frames == count


def test_a_still_png_over_its_budget_is_refused(api, live_session, customer):
    # 6000 x 6000 = 36 megapixels: under the general 50-megapixel bound, over PNG's work budget.
    out = io.BytesIO()
    Image.new("L", (6000, 6000), 0).save(out, "PNG")

    res = send_file(api(customer), live_session, "a.png", out.getvalue())

    assert res.status_code == 415
    assert stored_files() == []
