"""CPU seconds that checking one chat image costs (chat.media.prepare_upload: decode and re-encode),
at each format's work budget and for the probe's animation, which must be refused cheaply.

    .venv/bin/python scripts/bench_media.py
"""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from PIL import Image  # noqa: E402

from chat import media  # noqa: E402
from chat.errors import UnsupportedMediaType  # noqa: E402


class Upload(io.BytesIO):
    @property
    def size(self) -> int:
        return len(self.getvalue())


def animation(side: int, count: int) -> bytes:
    frames = [Image.new("L", (side, side), 0) for _ in range(count)]
    for index, frame in enumerate(frames):
        frame.putpixel((index % side, (index // side) % side), 1 + index % 200)
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=20)
    return out.getvalue()


def still(fmt: str, pixels: int) -> bytes:
    side = int(pixels**0.5)
    out = io.BytesIO()
    Image.linear_gradient("L").resize((side, side)).convert("RGB").save(out, fmt)
    return out.getvalue()


def measure(name: str, data: bytes) -> None:
    started = time.process_time()
    try:
        media.prepare_upload(Upload(data))
        outcome = "accepted"
    except UnsupportedMediaType:
        outcome = "refused"
    print(f"{name:<42} {len(data):>10} bytes  {time.process_time() - started:5.2f} s CPU  {outcome}")


if __name__ == "__main__":
    budget = media.WORK_BUDGET_PIXELS
    measure("GIF 350x350 at the budget", animation(350, budget["GIF"] // (350 * 350)))
    measure("GIF 350x350, 1,999 frames (the probe's)", animation(350, 1999))
    for fmt in ("JPEG", "PNG", "WEBP"):
        measure(f"{fmt} still at the budget ({budget[fmt] // 1_000_000} MP)", still(fmt, budget[fmt] - 1))
