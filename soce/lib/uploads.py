"""What an uploaded file really is, from its first bytes (never from its name or the browser's word)."""

from __future__ import annotations

# Magic numbers of the documents the apps accept: PDF and the usual images.
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def sniff_content_type(head: bytes) -> str | None:
    """The MIME type of a PDF or an image (PNG, JPEG, WebP) from its first bytes, else None."""
    for magic, content_type in SIGNATURES:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None
