"""Récepteurs de signaux : ils ne font qu'appeler un service."""

from allauth.account.signals import email_confirmed
from django.dispatch import receiver

from . import services


@receiver(email_confirmed, dispatch_uid="members.link_member_on_email_confirmed")
def link_member_on_email_confirmed(sender, request, email_address, **kwargs) -> None:
    services.member_link_confirmed_email(user=email_address.user, email=email_address.email)
