from django.apps import AppConfig


class RecordingsConfig(AppConfig):
    name = "recordings"
    verbose_name = "Recordings"

    def ready(self) -> None:
        from recordings import parts, personal_data, signals
        from sessions_app.signals import session_cancelled, session_completed

        for signal in (session_completed, session_cancelled):
            signal.connect(
                signals.stop_recordings_when_session_ends,
                dispatch_uid="recordings.stop_recordings_when_session_ends",
            )
        parts.register()
        personal_data.register()
