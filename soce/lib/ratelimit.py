"""Limite de débit simple sur le cache (fenêtre fixe), pour les pages exposées au moissonnage."""

from django.core.cache import cache
from django.utils import timezone


def hit(key: str, *, limit: int, period_s: int) -> bool:
    """Counts one hit; False when `limit` is exceeded within the current window."""
    window = int(timezone.now().timestamp()) // period_s
    cache_key = f"rl:{key}:{window}"
    cache.add(cache_key, 0, timeout=period_s + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:
        cache.set(cache_key, 1, timeout=period_s + 5)
        count = 1
    return count <= limit
