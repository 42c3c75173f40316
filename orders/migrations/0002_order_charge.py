"""Every order will point to its charge in payments/ (filled by the next migration)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0001_initial"),
        ("payments", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="charge",
            field=models.OneToOneField(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="order",
                                       to="payments.charge"),
        ),
    ]
