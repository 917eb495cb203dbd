"""Qui peut quoi dans le pilotage.

Le Bureau lit tout (`strategy.view_dashboard`) ; les responsables et contributeurs d'un
indicateur agissent sur le leur ; les pilotes sur leurs objectifs ; seuls les administrateurs
de la stratégie (`strategy.admin_strategy`) changent les définitions et les cibles.
"""

from __future__ import annotations

VIEW_DASHBOARD = "strategy.view_dashboard"
ADMIN = "strategy.admin_strategy"
ADD_BOARD_PACK = "strategy.add_boardpack"


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(ADMIN))


def reads_all(user) -> bool:
    return bool(user and user.is_authenticated and (user.has_perm(VIEW_DASHBOARD) or user.has_perm(ADMIN)))


def is_owner(user, indicator) -> bool:
    return bool(user and user.is_authenticated and indicator.owner_id == user.pk)


def is_updater(user, indicator) -> bool:
    if not (user and user.is_authenticated):
        return False
    cached = getattr(indicator, "_prefetched_objects_cache", {}).get("updaters")
    if cached is not None:
        return any(u.pk == user.pk for u in cached)
    return indicator.updaters.filter(pk=user.pk).exists()


def can_see_indicator(user, indicator) -> bool:
    return reads_all(user) or is_owner(user, indicator) or is_updater(user, indicator)


def can_enter(user, indicator) -> bool:
    """Updaters (and the owner, and strategy admins) enter values of manual indicators."""
    return is_owner(user, indicator) or is_admin(user) or is_updater(user, indicator)  # the query last


def can_approve(user, value) -> bool:
    """The owner or a strategy admin approves, never the person who entered it (four eyes)."""
    if not (user and user.is_authenticated) or value.entered_by_id == user.pk:
        return False
    return is_owner(user, value.indicator) or is_admin(user)


def can_checkin(user, objective) -> bool:
    if not (user and user.is_authenticated):
        return False
    return is_admin(user) or user.pk in (objective.pilot_id, objective.ambition.pilot_id)


def can_update_action(user, action) -> bool:
    if not (user and user.is_authenticated):
        return False
    if is_admin(user) or action.owner_id == user.pk:
        return True
    return action.team.filter(pk=user.pk).exists()
