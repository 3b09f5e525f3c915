"""The "moderators" group: staff in it review ratings in the admin without being superusers."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "moderators"
PERMISSIONS = [
    "moderate_rating",
    "view_rating",
    "view_blocklistword",
    "add_blocklistword",
    "change_blocklistword",
    "delete_blocklistword",
]


def forwards(apps, schema_editor):
    # Permissions are normally created after all migrations ran (post_migrate): create ours now.
    app_config = apps.get_app_config("ratings")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="ratings", codename__in=PERMISSIONS)
    )


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ratings", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
