from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from config.api.errors import ApplicationError
from recordings import services
from sessions_app.models import Session


class Command(BaseCommand):
    help = "Attach an MP4 file to a session as an AVAILABLE recording."

    def add_arguments(self, parser) -> None:
        parser.add_argument("session_id")
        parser.add_argument("file", type=Path)

    def handle(self, *args, session_id: str, file: Path, **options) -> None:
        try:
            session = Session.objects.get(pk=session_id)
        except (Session.DoesNotExist, ValidationError) as exc:
            raise CommandError(f"No session {session_id}: {exc}") from exc
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        with file.open("rb") as handle:
            try:
                recording = services.recording_import(session=session, fileobj=handle)
            except ApplicationError as exc:
                detail = "; ".join(m for ms in (exc.fields or {}).values() for m in ms) or exc.message
                raise CommandError(detail) from exc
        self.stdout.write(
            f"Recording {recording.id} of {session.display_number}: {recording.size_bytes} bytes, "
            f"available until {recording.available_until or 'the session ends + retention'}."
        )
