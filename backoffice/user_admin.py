"""The user page for staff: a customer's or coach's sessions and ratings under the account fields."""

from __future__ import annotations

from django.db.models import Q

from accounts.admin import UserAdmin
from ratings.models import Rating
from sessions_app.models import Session

SHOWN = 20


class StaffUserAdmin(UserAdmin):
    change_form_template = "backoffice/user_change_form.html"
    list_display = ["email", "first_name", "last_name", "role", "is_staff", "is_active", "date_joined"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        user = self.get_object(request, object_id)
        viewer = request.user
        if user is not None:
            if viewer.has_perm("sessions_app.view_session"):
                sessions = Session.objects.filter(Q(coach=user) | Q(customer=user))
                extra["user_sessions"] = sessions.select_related("coach", "customer").order_by("-scheduled_start")[
                    :SHOWN
                ]
                extra["user_sessions_count"] = sessions.count()
            if viewer.has_perm("ratings.view_rating"):
                ratings = Rating.objects.filter(Q(rater=user) | Q(ratee=user))
                extra["user_ratings"] = ratings.select_related("session", "rater", "ratee").order_by("-created_at")[
                    :SHOWN
                ]
                extra["user_ratings_count"] = ratings.count()
            extra["shown"] = SHOWN
        return super().change_view(request, object_id, form_url, extra_context=extra)
