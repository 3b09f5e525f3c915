"""Every model is named in docs/privacy.md, with what erasure does to it: a new model must say."""

from __future__ import annotations

from pathlib import Path

from django.apps import apps
from django.conf import settings

from privacy import registry


def test_every_model_is_listed_in_docs_privacy_md():
    text = (Path(settings.BASE_DIR) / "docs" / "privacy.md").read_text()
    missing = [m._meta.label for m in apps.get_models() if f"`{m._meta.label}`" not in text]
    assert missing == [], f"add these models to the table in docs/privacy.md: {missing}"


def test_every_app_with_personal_data_registered_its_export_part_and_erasure_step():
    assert set(registry.export_parts()) >= {
        "profile.json",
        "sessions.json",
        "messages.json",
        "ratings.json",
        "recordings.json",
    }
    steps = [step.name for step in registry.erasure_steps()]
    assert steps[0] == "accounts.lock_out" and steps[-1] == "accounts.identity"
    assert set(steps) >= {"sessions.pending", "chat.media", "recordings", "ratings.given", "privacy.exports"}
