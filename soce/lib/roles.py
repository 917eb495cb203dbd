"""Rôles = groupes Django portant des permissions de modèles.

Les groupes sont créés par une migration de données (core 0002) ; chaque app déclare
dans son AppConfig.ready() les permissions qu'elle ouvre à chaque rôle, et la
synchronisation après chaque `migrate` les pose (refus par défaut : rien d'autre).
"""

from collections import defaultdict

SECRETARIAT = "Secrétariat"
ENTRAIDE = "Entraide"
BENEVOLAT = "Bénévolat"
BUREAU = "Bureau"
ROLES = (SECRETARIAT, ENTRAIDE, BENEVOLAT, BUREAU)

_GRANTS: dict[str, set[tuple[str, str]]] = defaultdict(set)


def grant(role: str, app_label: str, codenames: list[str] | tuple[str, ...]) -> None:
    """Declares that `role` holds these permissions of `app_label` (codenames)."""
    if role not in ROLES:
        raise ValueError(role)
    _GRANTS[role].update((app_label, c) for c in codenames)


def crud(*model_names: str, actions=("view", "add", "change", "delete")) -> list[str]:
    return [f"{action}_{model}" for model in model_names for action in actions]


def grants() -> dict[str, set[tuple[str, str]]]:
    return _GRANTS


def sync_roles(group_model, permission_model) -> None:
    for role in ROLES:
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = _GRANTS.get(role, set())
        perms = []
        by_app: dict[str, list[str]] = defaultdict(list)
        for app_label, codename in wanted:
            by_app[app_label].append(codename)
        for app_label, codenames in by_app.items():
            perms.extend(permission_model.objects.filter(content_type__app_label=app_label, codename__in=codenames))
        group.permissions.set(perms)


def sync_roles_after_migrate(sender, app_config=None, using="default", **kwargs) -> None:
    # post_migrate fires once per app; permissions of later apps only exist by the last call,
    # and syncing each time is idempotent and cheap.
    from django.contrib.auth.models import Group, Permission

    sync_roles(Group, Permission)
