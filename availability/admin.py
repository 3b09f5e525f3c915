from django.contrib import admin

from availability.models import TimeOff, WeeklyRule
from sessions_app.admin_search import people_search


@admin.register(WeeklyRule)
class WeeklyRuleAdmin(admin.ModelAdmin):
    list_display = ["coach", "weekday", "start_minute", "end_minute", "duration_minutes"]
    list_filter = ["weekday"]
    search_fields = people_search("coach")
    raw_id_fields = ["coach"]

    def has_change_permission(self, request, obj=None):
        return False  # rules change through PUT coach/schedule, which republishes


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    list_display = ["coach", "start", "end", "reason"]
    search_fields = people_search("coach")
    raw_id_fields = ["coach"]

    def has_change_permission(self, request, obj=None):
        return False
