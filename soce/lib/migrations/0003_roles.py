"""Crée les quatre rôles (groupes). Leurs permissions sont posées après chaque migrate
par soce.lib.roles.sync_roles, à partir de ce que chaque app déclare."""

from django.db import migrations

ROLES = ("Secrétariat", "Entraide", "Bénévolat", "Bureau")


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
