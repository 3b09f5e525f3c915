from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies: list = []

    operations = [
        migrations.CreateModel(
            name="JobHeartbeat",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(help_text="The Celery task name.", max_length=200, unique=True)),
                ("last_success_at", models.DateTimeField()),
                ("last_result", models.CharField(blank=True, max_length=500)),
            ],
            options={"verbose_name": "periodic job heartbeat", "ordering": ["name"]},
        ),
    ]
