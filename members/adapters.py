"""allauth : ses e-mails passent par la boîte d'envoi, comme tous les autres."""

import uuid

from allauth.account.adapter import DefaultAccountAdapter
from django.core.mail import EmailMultiAlternatives
from django.utils import translation

from soce.lib.emails import email_store


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        from allauth.core import context as allauth_context
        from django.contrib.sites.shortcuts import get_current_site

        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        with translation.override("fr"):
            message = self.render_mail(template_prefix, email, ctx)
        html = ""
        if isinstance(message, EmailMultiAlternatives):
            html = next((body for body, mime in message.alternatives if mime == "text/html"), "")
        body_text = message.body if message.content_subtype != "html" else ""
        if not body_text:
            body_text, html = html, html
        # Each account e-mail is a distinct event (a new code, a new link): a fresh key.
        email_store(
            key=f"allauth:{template_prefix}:{uuid.uuid4()}",
            template=template_prefix,
            to=email,
            subject=message.subject,
            body_text=body_text,
            body_html=html,
            headers=dict(message.extra_headers or {}),
            from_email=message.from_email,
        )
