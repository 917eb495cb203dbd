"""Les paramètres de l'entraide, avec le plafond des prêts d'honneur d'un élève (4 500 € en 2025)."""

from decimal import Decimal

from django.db import migrations


def seed(apps, schema_editor):
    EntraideSettings = apps.get_model("entraide", "EntraideSettings")
    EntraideSettings.objects.get_or_create(
        pk=1, defaults={"student_loan_cap_eur": Decimal("4500.00"), "urgent_ceiling_eur": Decimal("1500.00")}
    )


class Migration(migrations.Migration):
    dependencies = [("entraide", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
