"""Problem reports (SPEC 11): a participant reports, the other answers once, staff decide.

A report can be made from the moment the call started until ``PROBLEM_REPORT_WINDOW_HOURS`` after
the session ended (completed, or cancelled: a no-show is a problem too), one per participant.
A session whose window passed with no open report is ``confirmed_at``. Each step writes its outbox
event (``session.problem_reported``, ``.problem_responded``, ``.problem_resolved``) in its own
transaction: the notifications consumer tells the other participant, the reporter, or both.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q

from accounts.models import User
from config.api.errors import PermissionDeniedError, ValidationFailed
from sessions_app.errors import InvalidState
from sessions_app.events import session_event_emit
from sessions_app.models import ProblemReport, Session
from sessions_app.serializers import ProblemReportSerializer
from sessions_app.services._common import Action, log_action, resolve_now

Status = ProblemReport.Status


def _emit(type: str, report: ProblemReport, *, actor: User, previous: dict | None = None) -> None:
    session = Session.objects.select_related("coach", "customer").get(pk=report.session_id)
    report = ProblemReport.objects.select_related("reported_by").get(pk=report.pk)
    session_event_emit(
        type=type,
        session=session,
        actor=actor,
        previous=previous,
        extra={"problem_report": ProblemReportSerializer(report)},
    )


def _ended_at(session: Session) -> datetime | None:
    if session.status == Session.Status.COMPLETED:
        return session.ended_at
    if session.status == Session.Status.CANCELLED:
        return session.cancelled_at
    return None


def problem_window_closes_at(session: Session) -> datetime | None:
    ended = _ended_at(session)
    return ended + timedelta(hours=settings.PROBLEM_REPORT_WINDOW_HOURS) if ended else None


def problem_report_create(
    *, session: Session, actor: User, kind: str, text: str, now: datetime | None = None
) -> ProblemReport:
    now = resolve_now(now)
    if not session.is_participant(actor):
        raise PermissionDeniedError("Only the session's participants report problems.")
    if session.status == Session.Status.PENDING:
        raise InvalidState("A problem can be reported once the session has started.")
    closes = problem_window_closes_at(session)
    if closes is not None and now > closes:
        hours = settings.PROBLEM_REPORT_WINDOW_HOURS
        raise InvalidState(f"Problems can be reported up to {hours} hours after the session ended.")
    try:
        with transaction.atomic():
            report = ProblemReport.objects.create(
                session=session, reported_by=actor, kind=kind, text=text, created_at=now
            )
            Session.objects.filter(pk=session.pk).update(confirmed_at=None)
            log_action(session=session, action=Action.PROBLEM_REPORTED, actor=actor, now=now, text=kind)
            _emit("session.problem_reported", report, actor=actor)
    except IntegrityError as exc:
        raise InvalidState("You already reported a problem with this session.") from exc
    return report


def problem_report_respond(
    *, report: ProblemReport, actor: User, text: str, now: datetime | None = None
) -> ProblemReport:
    """The other participant's one answer."""
    now = resolve_now(now)
    session = report.session
    if not session.is_participant(actor) or actor.pk == report.reported_by_id:
        raise PermissionDeniedError("Only the other participant answers a problem report.")
    with transaction.atomic():
        updated = ProblemReport.objects.filter(pk=report.pk, responded_at__isnull=True, status=Status.OPEN).update(
            response=text, responded_at=now
        )
        if updated != 1:
            raise InvalidState("This report was already answered or decided.")
        report.refresh_from_db()
        _emit("session.problem_responded", report, actor=actor, previous={"response": ""})
    return report


def problem_report_resolve(
    *, report: ProblemReport, actor: User, decision: str, note: str, now: datetime | None = None
) -> ProblemReport:
    """Staff decide a report: ``UPHELD`` or ``DISMISSED``, with a note both participants see."""
    now = resolve_now(now)
    if not actor.is_staff:
        raise PermissionDeniedError("Only staff decide problem reports.")
    if decision not in (Status.UPHELD, Status.DISMISSED):
        raise ValidationFailed(fields={"decision": ["Choose UPHELD or DISMISSED."]})
    if not note.strip():
        raise ValidationFailed(fields={"resolution": ["Write the note both participants will read."]})
    with transaction.atomic():
        updated = ProblemReport.objects.filter(pk=report.pk, status=Status.OPEN).update(
            status=decision, resolution=note, resolved_by=actor, resolved_at=now
        )
        if updated != 1:
            raise InvalidState("This report was already decided.")
        report.refresh_from_db()
        log_action(
            session=report.session, action=Action.PROBLEM_RESOLVED, actor=actor, now=now, text=f"{decision}: {note}"
        )
        _emit("session.problem_resolved", report, actor=actor, previous={"status": Status.OPEN})
    sessions_confirm_due(now=now, session_ids=[report.session_id])
    return report


def sessions_confirm_due(*, now: datetime | None = None, session_ids=None) -> int:
    """Stamp ``confirmed_at`` on ended sessions whose report window passed with no open report."""
    now = resolve_now(now)
    window = timedelta(hours=settings.PROBLEM_REPORT_WINDOW_HOURS)
    open_reports = ProblemReport.objects.filter(session=OuterRef("pk"), status=Status.OPEN)
    due = (
        Session.objects.filter(confirmed_at__isnull=True)
        .filter(
            Q(status=Session.Status.COMPLETED, ended_at__lte=now - window)
            | Q(status=Session.Status.CANCELLED, cancelled_at__lte=now - window)
        )
        .filter(~Exists(open_reports))
    )
    if session_ids is not None:
        due = due.filter(pk__in=session_ids)
    return due.update(confirmed_at=now)
