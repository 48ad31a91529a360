"""The Installations tab's counts kept on each integration, with a version under which the tab
caches its list (both written by `store_installations`), counted once here for the installations
already kept."""

from django.db import migrations, models
from django.db.models import Count, Q


def count_kept_installations(apps, schema_editor):
    Installation = apps.get_model("integrations", "Installation")
    Integration = apps.get_model("integrations", "Integration")
    counted = (
        Installation.objects.filter(removed_at__isnull=True)
        .values("integration")
        .annotate(
            total=Count("pk"),
            healthy=Count("pk", filter=Q(health_status="healthy")),
            unhealthy=Count("pk", filter=Q(health_status="unhealthy")),
            differing=Count("pk", filter=Q(difference_count__gt=0)),
        )
        .order_by()
    )
    for row in counted:
        Integration.objects.filter(pk=row["integration"]).update(
            installations_total=row["total"],
            installations_healthy=row["healthy"],
            installations_unhealthy=row["unhealthy"],
            installations_differing=row["differing"],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0019_stored_json_as_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="integration",
            name="installations_differing",
            field=models.PositiveIntegerField(default=0, db_default=0, editable=False),
        ),
        migrations.AddField(
            model_name="integration",
            name="installations_healthy",
            field=models.PositiveIntegerField(default=0, db_default=0, editable=False),
        ),
        migrations.AddField(
            model_name="integration",
            name="installations_total",
            field=models.PositiveIntegerField(default=0, db_default=0, editable=False),
        ),
        migrations.AddField(
            model_name="integration",
            name="installations_unhealthy",
            field=models.PositiveIntegerField(default=0, db_default=0, editable=False),
        ),
        migrations.AddField(
            model_name="integration",
            name="installations_version",
            field=models.CharField(blank=True, db_default="", editable=False, max_length=32),
        ),
        migrations.RunPython(count_kept_installations, migrations.RunPython.noop),
    ]
