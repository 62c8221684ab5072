"""URL helpers."""

from urllib.parse import urlsplit


def safe_next(target: str | None, default: str) -> str:
    """``target`` when it is a path on this site, else ``default``.

    Refuses absolute URLs, scheme-relative ``//host`` and backslash tricks that
    browsers treat as another host.
    """
    if not target:
        return default
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return default
    if target.startswith("//") or "\\" in target or any(ord(ch) < 32 for ch in target):
        return default
    return target
