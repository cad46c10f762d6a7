"""The report opens from ``file://`` and asks no third party for anything.

Allure 3's awesome report always embeds a Google Analytics (gtag) snippet; it has no switch
to turn it off, so :func:`make_offline` cuts it out of ``index.html`` and adds a Content
Security Policy that lets the page load only what it carries inline: even a tag we missed
could not reach the network.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from otp_suite.config import is_loopback_url

# Everything the single-file report needs is inline or a data:/blob: URL.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; "
    "script-src 'unsafe-inline' 'unsafe-eval' data: blob:; "
    "style-src 'unsafe-inline' data: blob:; "
    "img-src data: blob:; font-src data:; media-src data: blob:; "
    "connect-src data: blob:; frame-src data: blob:; worker-src blob: data:; "
    "form-action 'none'"
)

_ANALYTICS_LOADER = re.compile(r"<script[^>]*\bsrc=\"https?://www\.googletagmanager\.com/[^\"]*\"[^>]*>\s*</script>\s*", re.I)
_ANALYTICS_INLINE = re.compile(r"<script>(?:(?!</script>).)*\bgtag\s*\((?:(?!</script>).)*</script>\s*", re.S)
_HEAD = re.compile(r"<head>", re.I)

#: Tag attributes that make a browser fetch something when the page loads.
_FETCHING_ATTRIBUTES = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "embed": ("src",),
    "object": ("data",),
}


class AnalyticsNotRemoved(RuntimeError):
    """The report still loads a third-party script after :func:`make_offline` (Allure changed its template)."""


def strip_analytics(html: str) -> str:
    """``html`` without the gtag loader script and its inline configuration."""
    return _ANALYTICS_INLINE.sub("", _ANALYTICS_LOADER.sub("", html))


def add_content_security_policy(html: str) -> str:
    """``html`` with a CSP meta tag as the first element of ``<head>`` (once)."""
    if 'http-equiv="Content-Security-Policy"' in html:
        return html
    meta = f'<head>\n    <meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
    return _HEAD.sub(meta, html, count=1)


class _FetchedUrls(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and name in _FETCHING_ATTRIBUTES.get(tag, ()):
                self.urls += [part.strip().split(" ")[0] for part in value.split(",")] if name == "srcset" else [value.strip()]


def third_party_urls(html: str) -> list[str]:
    """URLs in script/link/img/… tags that point at a host other than loopback (empty when offline)."""
    parser = _FetchedUrls()
    parser.feed(html)
    remote = []
    for url in parser.urls:
        scheme = urlsplit(url).scheme.lower()
        if url.startswith("//") or (scheme in {"http", "https", "ws", "wss", "ftp"} and not is_loopback_url(url)):
            remote.append(url if len(url) < 200 else url[:200] + "…")
    return remote


def make_offline(html_path: Path) -> None:
    """Rewrite the report at ``html_path`` so it makes no third-party request; verify it."""
    path = Path(html_path)
    html = add_content_security_policy(strip_analytics(path.read_text(encoding="utf-8")))
    leftovers = third_party_urls(html)
    if leftovers or "googletagmanager" in html:
        raise AnalyticsNotRemoved(f"{path} still loads {', '.join(leftovers) or 'googletagmanager'}; the pinned Allure template changed, update otp_suite/report/offline.py")
    path.write_text(html, encoding="utf-8")
