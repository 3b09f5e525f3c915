from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class AppointmentQuerySet(models.QuerySet):
    def with_booking(self) -> AppointmentQuerySet:
        """Annotate ``is_booked``: a non-cancelled session holds the slot."""
        live = Session.objects.filter(appointment=models.OuterRef("pk")).exclude(status=Session.Status.CANCELLED)
        return self.annotate(is_booked=models.Exists(live))

    def not_held(self) -> AppointmentQuerySet:
        """Slots no open postpone request holds (a held slot is promised to one session's customer)."""
        return self.exclude(postpone_requests__status="PENDING")


class Appointment(models.Model):
    """A coach's published slot. Instant sessions create one of their own (``is_instant``)."""

    class Source(models.TextChoices):
        # Published by hand (``POST coach/appointments``), or by the weekly schedule's publisher,
        # which only ever withdraws the free slots it made itself.
        ONE_OFF = "one_off", "One-off"
        SCHEDULE = "schedule", "Weekly schedule"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="appointments")
    start = models.DateTimeField()
    end = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField()
    is_instant = models.BooleanField(default=False)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.ONE_OFF)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["coach", "start"])]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="appointment_end_after_start"),
        ]
        # On PostgreSQL, migration 0002 adds an exclusion constraint: one coach's slots never overlap.

    def __str__(self) -> str:
        return f"{self.coach_id} {self.start:%Y-%m-%d %H:%M} ({self.duration_minutes} min)"


class SessionNumber(models.Model):
    """A gap-tolerant counter for human-readable numbers (``SESS-000042``) that works on every database."""

    id = models.BigAutoField(primary_key=True)


class Session(models.Model):
    class Type(models.TextChoices):
        SCHEDULED = "SCHEDULED", "Scheduled"
        INSTANT = "INSTANT", "Instant"

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        IN_PROGRESS = "IN_PROGRESS", "In progress"
        END_REQUEST_PENDING = "END_REQUEST_PENDING", "End request pending"
        COMPLETED = "COMPLETED", "Completed"
        CANCELLED = "CANCELLED", "Cancelled"

    class Attendance(models.TextChoices):
        ATTENDED = "ATTENDED", "Attended"
        LATE = "LATE", "Late"
        ABSENT = "ABSENT", "Absent"

    class Outcome(models.TextChoices):
        HELD = "HELD", "Held"
        COACH_NO_SHOW = "COACH_NO_SHOW", "Coach did not show"
        CUSTOMER_NO_SHOW = "CUSTOMER_NO_SHOW", "Customer did not show"

    ACTIVE_STATUSES = (Status.IN_PROGRESS, Status.END_REQUEST_PENDING)
    FINAL_STATUSES = (Status.COMPLETED, Status.CANCELLED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.PositiveBigIntegerField(unique=True, editable=False)
    type = models.CharField(max_length=16, choices=Type.choices)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.PENDING)
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="coach_sessions")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="customer_sessions")
    # Null only for a cancelled session whose slot the coach deleted afterwards.
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    scheduled_start = models.DateTimeField()
    scheduled_end = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField()
    price = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    topic = models.CharField(max_length=500, blank=True)
    channel_name = models.CharField(max_length=64, unique=True, editable=False)
    coach_uid = models.PositiveBigIntegerField(editable=False)
    customer_uid = models.PositiveBigIntegerField(editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_requested_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancel_reason = models.CharField(max_length=500, blank=True)
    # The cancellation policy in force at booking (SPEC 11): free until then, "late" afterwards.
    free_cancel_until = models.DateTimeField(null=True, blank=True)
    late_cancellation = models.BooleanField(default=False)
    # Written once, by the completion (sessions_app.services.attendance), from the join/leave record.
    attendance_coach = models.CharField(max_length=8, choices=Attendance.choices, blank=True)
    attendance_customer = models.CharField(max_length=8, choices=Attendance.choices, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    # Set when the problem-report window passed with no open report (or the last one was resolved).
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The coach's buffers when this was booked: the session blocks its coach over
    # [scheduled_start - before, scheduled_end + after) (migration 0009 on PostgreSQL).
    buffer_before_minutes = models.PositiveSmallIntegerField(default=0, editable=False)
    buffer_after_minutes = models.PositiveSmallIntegerField(default=0, editable=False)
    # The iCalendar SEQUENCE: bumped by every change a calendar shows (services: calendar_changed()).
    sequence = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-scheduled_start"]
        indexes = [
            models.Index(fields=["coach", "scheduled_start"]),
            models.Index(fields=["customer", "scheduled_start"]),
            models.Index(fields=["status", "scheduled_end"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment"], condition=~Q(status="CANCELLED"), name="one_live_session_per_appointment"
            ),
            models.CheckConstraint(
                condition=Q(scheduled_end__gt=models.F("scheduled_start")), name="session_end_after_start"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="session_price_not_negative"),
            models.CheckConstraint(condition=~Q(coach=models.F("customer")), name="session_coach_is_not_customer"),
        ]
        # On PostgreSQL, migrations 0002/0004/0005 add exclusion constraints: a coach's sessions that
        # are neither cancelled nor completed never overlap in their buffered time, a customer's never
        # in their scheduled time.

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"SESS-{self.number:06d}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES

    def is_participant(self, user) -> bool:
        return user.pk in (self.coach_id, self.customer_id)

    def uid_for(self, user) -> int:
        return self.coach_uid if user.pk == self.coach_id else self.customer_uid

    def other_participant_id(self, user):
        return self.customer_id if user.pk == self.coach_id else self.coach_id

    # The join window, stated once: these two properties, and their query twins below for the
    # selectors and the periodic job. Scheduled: from JOIN_EARLY_MINUTES before the start until the
    # end; instant: from booking for INSTANT_JOIN_WINDOW_MINUTES (never past the end).
    @property
    def join_opens_at(self):
        if self.type == self.Type.INSTANT:
            return self.created_at
        return self.scheduled_start - timedelta(minutes=settings.JOIN_EARLY_MINUTES)

    @property
    def join_closes_at(self):
        if self.type == self.Type.INSTANT:
            return min(self.created_at + timedelta(minutes=settings.INSTANT_JOIN_WINDOW_MINUTES), self.scheduled_end)
        return self.scheduled_end

    def join_window_open(self, now) -> bool:
        return self.join_opens_at <= now < self.join_closes_at

    @classmethod
    def join_window_open_q(cls, now) -> Q:
        """Sessions whose join window is open at ``now`` (booked before it)."""
        early = timedelta(minutes=settings.JOIN_EARLY_MINUTES)
        instant = timedelta(minutes=settings.INSTANT_JOIN_WINDOW_MINUTES)
        return Q(type=cls.Type.SCHEDULED, scheduled_start__lte=now + early, scheduled_end__gt=now) | Q(
            type=cls.Type.INSTANT, created_at__gt=now - instant, scheduled_end__gt=now
        )

    @classmethod
    def join_window_closed_q(cls, now) -> Q:
        """Sessions whose join window has closed by ``now``."""
        instant = timedelta(minutes=settings.INSTANT_JOIN_WINDOW_MINUTES)
        return (
            Q(type=cls.Type.SCHEDULED, scheduled_end__lte=now)
            | Q(type=cls.Type.INSTANT, created_at__lte=now - instant)
            | Q(type=cls.Type.INSTANT, scheduled_end__lte=now)
        )

    @property
    def blocked_start(self):
        return self.scheduled_start - timedelta(minutes=self.buffer_before_minutes)

    @property
    def blocked_end(self):
        return self.scheduled_end + timedelta(minutes=self.buffer_after_minutes)

    @property
    def hard_end(self):
        """When an unfinished session is completed by the periodic task."""
        return self.scheduled_end + timedelta(minutes=settings.SESSION_GRACE_MINUTES)


class SessionMediaKey(models.Model):
    """A session's media encryption key and salt (SPEC 9), made once at the first start-call.

    Kept out of ``Session`` on purpose: everything that serialises a session (the API, events,
    the admin's read-only fields) then cannot carry the key by accident. Both values are stored
    encrypted (``config/crypto.py``); only ``start-call`` and the recording start read them.
    """

    MODE = "AES_128_GCM2"

    session = models.OneToOneField(Session, on_delete=models.CASCADE, primary_key=True, related_name="media_key")
    mode = models.CharField(max_length=16, default=MODE, editable=False)
    key_encrypted = models.TextField(editable=False)
    salt_encrypted = models.TextField(editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"Media key of {self.session_id}"

    def __repr__(self) -> str:
        return f"<SessionMediaKey session={self.session_id}>"


class SessionLog(models.Model):
    class Action(models.TextChoices):
        BOOKED = "BOOKED"
        RESCHEDULED = "RESCHEDULED"
        STARTED = "STARTED"
        ENTERED = "ENTERED"
        LEFT = "LEFT"
        TEMPORARILY_LEFT = "TEMPORARILY_LEFT"
        RECONNECTED = "RECONNECTED"
        NETWORK_ISSUE = "NETWORK_ISSUE"
        CAMERA_OFF = "CAMERA_OFF"
        CAMERA_ON = "CAMERA_ON"
        MIC_OFF = "MIC_OFF"
        MIC_ON = "MIC_ON"
        SCREEN_SHARE_STARTED = "SCREEN_SHARE_STARTED"
        SCREEN_SHARE_STOPPED = "SCREEN_SHARE_STOPPED"
        END_REQUESTED = "END_REQUESTED"
        END_DECLINED = "END_DECLINED"
        COMPLETED = "COMPLETED"
        CANCELLED = "CANCELLED"
        RECORDING_STARTED = "RECORDING_STARTED"
        RECORDING_STOPPED = "RECORDING_STOPPED"
        RECORDING_FAILED = "RECORDING_FAILED"
        REPORT_UPDATED = "REPORT_UPDATED"
        POSTPONE_REQUESTED = "POSTPONE_REQUESTED"
        POSTPONE_DECLINED = "POSTPONE_DECLINED"
        POSTPONE_WITHDRAWN = "POSTPONE_WITHDRAWN"
        POSTPONE_EXPIRED = "POSTPONE_EXPIRED"
        PROBLEM_REPORTED = "PROBLEM_REPORTED"
        PROBLEM_RESOLVED = "PROBLEM_RESOLVED"

    CLIENT_ACTIONS = (
        Action.ENTERED,
        Action.LEFT,
        Action.TEMPORARILY_LEFT,
        Action.RECONNECTED,
        Action.NETWORK_ISSUE,
        Action.CAMERA_OFF,
        Action.CAMERA_ON,
        Action.MIC_OFF,
        Action.MIC_ON,
        Action.SCREEN_SHARE_STARTED,
        Action.SCREEN_SHARE_STOPPED,
    )

    # An increasing integer, not a UUID: rows written in the same instant (STARTED, ENTERED)
    # keep their insertion order. Log ids never appear in URLs.
    id = models.BigAutoField(primary_key=True)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="logs")
    action = models.CharField(max_length=32, choices=Action.choices)
    text = models.CharField(max_length=1000, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["session", "created_at"])]

    def __str__(self) -> str:
        return f"{self.action} @ {self.created_at:%Y-%m-%d %H:%M:%S}"


class SessionReport(models.Model):
    """What people wrote about a completed session; the rest of the report is computed."""

    session = models.OneToOneField(Session, on_delete=models.CASCADE, primary_key=True, related_name="report")
    coach_summary = models.TextField(blank=True, max_length=10000)
    coach_recommendations = models.JSONField(default=list, blank=True)
    customer_notes = models.TextField(blank=True, max_length=10000)
    updated_at = models.DateTimeField(auto_now=True)


class IdempotencyKey(models.Model):
    """The first answer to a booking sent with an ``Idempotency-Key``, replayed for repeats."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")]


class PostponeRequest(models.Model):
    """A proposal of another slot for a pending scheduled session, which the customer answers (SPEC 11).

    While ``PENDING`` it holds ``proposed_appointment``: a partial unique index lets one slot be
    offered by one open request only, and on PostgreSQL triggers (migration 0006) keep a held slot
    from being booked and a booked slot from being held, whatever the order of the racing writers.
    """

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        ACCEPTED = "ACCEPTED", "Accepted"
        DECLINED = "DECLINED", "Declined"
        WITHDRAWN = "WITHDRAWN", "Withdrawn"
        EXPIRED = "EXPIRED", "Expired"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="postpone_requests")
    proposed_appointment = models.ForeignKey(
        Appointment, null=True, on_delete=models.SET_NULL, related_name="postpone_requests"
    )
    proposed_start = models.DateTimeField()
    proposed_end = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposed_appointment"], condition=Q(status="PENDING"), name="one_open_hold_per_appointment"
            ),
            models.UniqueConstraint(
                fields=["session"], condition=Q(status="PENDING"), name="one_open_postpone_request_per_session"
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        # The session's number, not its id: the title of the request's page and of its History rows.
        when = f"{self.proposed_start:%Y-%m-%d %H:%M} UTC"
        return f"Postpone {self.session.display_number} to {when} ({self.get_status_display()})"


class ProblemReport(models.Model):
    """A participant's report of a problem with a session, decided by staff (SPEC 11)."""

    class Kind(models.TextChoices):
        COACH_NO_SHOW = "COACH_NO_SHOW", "Coach did not show"
        CUSTOMER_NO_SHOW = "CUSTOMER_NO_SHOW", "Customer did not show"
        TECHNICAL = "TECHNICAL", "Technical problem"
        CONDUCT = "CONDUCT", "Conduct"
        OTHER = "OTHER", "Other"

    class Status(models.TextChoices):
        OPEN = "OPEN", "Open"
        UPHELD = "UPHELD", "Upheld"
        DISMISSED = "DISMISSED", "Dismissed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="problem_reports")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.TextField(max_length=4000)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    response = models.TextField(max_length=4000, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(max_length=4000, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["session", "reported_by"], name="one_problem_report_per_participant"),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.session.display_number} ({self.get_status_display()})"
