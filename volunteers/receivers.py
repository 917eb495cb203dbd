"""Récepteurs de signaux : travail découplé seulement (la logique est dans les services)."""

from django.db import transaction


def on_dues_status_changed(sender, member_id: int, up_to_date: bool | None = None, **kwargs) -> None:
    """Re-checks the member's engagements against their dues, in a task (the signal comes after commit)."""
    from .tasks import engagements_sync_dues

    transaction.on_commit(lambda: engagements_sync_dues.delay(member_id))
