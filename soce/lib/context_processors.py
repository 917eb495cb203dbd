from django.urls import NoReverseMatch, reverse

from .navigation import items_for


def portal(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}

    def build():
        out = []
        for item in items_for(user):
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                continue
            active = request.path == url if url == "/" else request.path.startswith(url)
            out.append({"key": item.key, "label": item.label, "url": url, "icon": item.icon, "active": active})
        return out

    return {"nav_items": build()}
