"""Notifications of the session policies (SPEC 11): postpone requests and problem reports.

Who is told (docs/notifications.md has the table):

- a new time proposed (by the coach, or by staff for the coach): the customer, who answers it; the
  coach too when staff proposed it (it is the coach's time);
- accepted or declined (the customer's answer): the coach, whose side asked;
- withdrawn: the customer (and the coach when staff withdrew it);
- expired (nobody answered in time): both, since both expected an answer to change the session, and
  each reads that it stays where it was;
- a problem reported: the other participant, who may answer; answered: the reporter; decided by
  staff: both, with staff's note.

Texts come from the event's payload (the request or report as the API rendered it at the change).
"""

from __future__ import annotations

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from notifications.kinds import Kind
from notifications.services.audience import audience, participants, present, session_notify
from notifications.services.rendering import SessionFacts
from sessions_app.models import PostponeRequest, ProblemReport, Session

# How much of a statement the notification quotes; the whole text is one tap away.
QUOTE_CHARS = 300

PROBLEM_KIND_LABELS = {
    ProblemReport.Kind.COACH_NO_SHOW: _("The coach did not show"),
    ProblemReport.Kind.CUSTOMER_NO_SHOW: _("The customer did not show"),
    ProblemReport.Kind.TECHNICAL: _("Technical problem"),
    ProblemReport.Kind.CONDUCT: _("Conduct"),
    ProblemReport.Kind.OTHER: _("Other"),
}

POSTPONE_KINDS = {
    "session.postpone_requested": Kind.POSTPONE_REQUESTED,
    "session.postpone_accepted": Kind.POSTPONE_ACCEPTED,
    "session.postpone_declined": Kind.POSTPONE_DECLINED,
    "session.postpone_withdrawn": Kind.POSTPONE_WITHDRAWN,
    "session.postpone_expired": Kind.POSTPONE_EXPIRED,
}
PROBLEM_TYPES = ("session.problem_reported", "session.problem_responded", "session.problem_resolved")


def _quote(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1].rstrip() + "…"


def _dt(value):
    return parse_datetime(value) if isinstance(value, str) else value


def _postpone_recipients(event_type: str, facts: SessionFacts, request: dict, actor: dict | None) -> list:
    coach, customer = participants(facts)
    requester_id = str((request.get("requested_by") or {}).get("id") or "")
    if event_type == "session.postpone_requested":
        return present(customer) if requester_id == facts.coach_id else present(customer, coach)
    if event_type in ("session.postpone_accepted", "session.postpone_declined"):
        return present(coach)
    if event_type == "session.postpone_withdrawn":
        return audience(facts, actor)
    return present(coach, customer)  # expired: the system acted


def on_postpone_event(event, facts: SessionFacts, actor: dict | None) -> None:
    request = (event.data or {}).get("postpone_request") or {}
    kind = POSTPONE_KINDS.get(event.type)
    if kind is None or not request.get("id"):
        return
    if event.type == "session.postpone_requested":
        # Relayed late, after the customer already answered (or it expired): nothing left to answer.
        if not PostponeRequest.objects.filter(pk=request["id"], status=PostponeRequest.Status.PENDING).exists():
            return
    elif event.type != "session.postpone_accepted" and facts.status != Session.Status.PENDING:
        return
    session_notify(
        event,
        kind,
        _postpone_recipients(event.type, facts, request, actor),
        facts,
        data={"postpone_request_id": str(request["id"])},
        proposed_start=_dt(request.get("proposed_start")),
        expires_at=_dt(request.get("expires_at")),
        reason=request.get("reason") or "",
        by_staff=str((request.get("requested_by") or {}).get("id") or "") != facts.coach_id,
    )


def on_problem_event(event, facts: SessionFacts, actor: dict | None) -> None:
    report = (event.data or {}).get("problem_report") or {}
    if event.type not in PROBLEM_TYPES or not report.get("id"):
        return
    coach, customer = participants(facts)
    reporter_id = str((report.get("reported_by") or {}).get("id") or "")
    reporter = coach if reporter_id == facts.coach_id else customer
    other = customer if reporter_id == facts.coach_id else coach
    if event.type == "session.problem_reported":
        kind, recipients = Kind.PROBLEM_REPORTED, present(other)
    elif event.type == "session.problem_responded":
        kind, recipients = Kind.PROBLEM_RESPONDED, present(reporter)
    else:
        kind, recipients = Kind.PROBLEM_RESOLVED, present(reporter, other)
    session_notify(
        event,
        kind,
        recipients,
        facts,
        data={"problem_id": str(report["id"])},
        problem_kind=PROBLEM_KIND_LABELS.get(report.get("kind"), report.get("kind") or ""),
        statement=_quote(report.get("text")),
        response=_quote(report.get("response")),
        resolution=report.get("resolution") or "",
        upheld=report.get("status") == ProblemReport.Status.UPHELD,
        reporter_role="coach" if reporter_id == facts.coach_id else "customer",
    )
