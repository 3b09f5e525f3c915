"""The "support" group: staff in it look into sessions (timeline, chat, report, recordings, ratings,
the people) and cancel or complete them through the services, without being superusers."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "support"
PERMISSIONS = {
    "sessions_app": ["view_session", "change_session", "view_sessionlog", "view_sessionreport", "view_appointment"],
    "chat": ["view_message"],
    "recordings": ["view_recording", "view_recordingfile"],
    "ratings": ["view_rating"],
    "accounts": ["view_user", "view_coachprofile"],
}


def forwards(apps, schema_editor):
    # Permissions are normally created after all migrations ran (post_migrate): create them now.
    for label in PERMISSIONS:
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for label, codenames in PERMISSIONS.items():
        group.permissions.add(*Permission.objects.filter(content_type__app_label=label, codename__in=codenames))


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0002_user_timezone_language"),
        ("sessions_app", "0004_completed_sessions_free_their_time"),
        ("chat", "0001_initial"),
        ("recordings", "0002_stop_claim"),
        ("ratings", "0002_moderators_group"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
