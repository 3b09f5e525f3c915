"""The "support" group also works the session policies' queues: it reads postpone requests and
problem reports, withdraws requests and decides reports (through the services, as staff)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "support"
CODENAMES = ["view_postponerequest", "change_postponerequest", "view_problemreport", "change_problemreport"]


def forwards(apps, schema_editor):
    app_config = apps.get_app_config("sessions_app")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="sessions_app", codename__in=CODENAMES))


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=GROUP):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="sessions_app", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0002_support_group"),
        ("sessions_app", "0005_session_policies"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
