"""Rendu PDF avec WeasyPrint, à partir de fichiers locaux uniquement."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML
from weasyprint.urls import URLFetcher


def local_files_only() -> URLFetcher:
    """A fetcher that refuses anything but local files and inline data (no network from a PDF)."""
    return URLFetcher(allowed_protocols={"file", "data"})


def render_pdf(template: str, context: dict, *, attachments=None, pdf_variant: str | None = None) -> bytes:
    """Renders `pdf/<...>.html` in French and returns PDF bytes."""
    with translation.override("fr"):
        html = render_to_string(template, context)
    kwargs = {}
    if attachments:
        kwargs["attachments"] = attachments
    if pdf_variant:
        kwargs["pdf_variant"] = pdf_variant
    return HTML(
        string=html,
        base_url=str(settings.BASE_DIR / "static"),
        url_fetcher=local_files_only(),
    ).write_pdf(**kwargs)
