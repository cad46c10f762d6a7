"""Open the single-file report in headless Chromium, as a reader would, and read what it shows.

Chromium runs with a fresh profile, no background networking and a virtual time budget so
the page's scripts finish before the DOM is dumped; nothing else is installed (no driver).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
INSTALL_SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "install-browser.sh"

#: The flags that keep a headless run self-contained: no GPU, no sandbox (root in a container),
#: no first-run, sync, component or QUIC traffic.
HEADLESS_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)
#: ``data-testid``s of Allure 3's report: the total in the summary bar, a category's title.
TOTAL = "metadata-item-total"
CATEGORY = "tree-section-title"
#: One Chromium run: 12 s on an idle 2-core machine, over 90 s seen on a loaded one.
RUN_TIMEOUT_S = 120.0
#: Virtual-time budgets of the attempts :func:`rendered_dom` makes until the page shows what was asked.
RENDER_BUDGETS_MS = (10_000, 30_000)


class BrowserError(RuntimeError):
    """Chromium is missing or did not render the page; ``str()`` says which and the fix."""


def chromium_path() -> Path:
    """The Chromium binary, or :class:`BrowserError` naming the install script."""
    if CHROMIUM.exists():
        return CHROMIUM
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return Path(found)
    raise BrowserError(f"Chromium is not installed; run {INSTALL_SCRIPT} as root (apt-get install chromium)")


def _run_chromium(url: str, extra: list[str], *, budget_ms: int) -> subprocess.CompletedProcess[bytes]:
    with tempfile.TemporaryDirectory(prefix="otp-chromium-") as profile:
        command = [str(chromium_path()), *HEADLESS_FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}", *extra, url]
        try:
            return subprocess.run(command, capture_output=True, timeout=RUN_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise BrowserError(f"Chromium did not finish rendering {url} within {RUN_TIMEOUT_S:g} s") from None


def rendered_dom(html_path: Path, *, fragment: str = "", shows: str | None = None) -> str:
    """The report's DOM after its scripts ran, as Chromium serialises it (``--dump-dom``).

    With ``shows`` (a ``data-testid``), the page must show that element: on a busy machine the
    report's scripts may not have drawn it within the first virtual-time budget, so Chromium runs
    again with a longer one (:data:`RENDER_BUDGETS_MS`) before :class:`BrowserError` says so.
    """
    url = Path(html_path).resolve().as_uri() + (f"#{fragment}" if fragment else "")
    problem = ""
    for budget_ms in RENDER_BUDGETS_MS:
        try:
            finished = _run_chromium(url, ["--dump-dom"], budget_ms=budget_ms)
        except BrowserError as error:
            problem = str(error)
            continue
        dom = finished.stdout.decode("utf-8", errors="replace")
        if finished.returncode != 0 or "<html" not in dom:
            problem = f"Chromium exited {finished.returncode} without a page for {url}"
        elif shows is not None and shows not in texts_by_test_id(dom):
            problem = f"the page {url} did not show {shows!r} within {budget_ms / 1000:g} s of its own time"
        else:
            return dom
    raise BrowserError(problem)


def screenshot(html_path: Path, png_path: Path, *, fragment: str = "", width: int = 1400, height: int = 900, budget_ms: int = 10_000) -> Path:
    """Save a PNG of the rendered report (at ``#fragment``, e.g. ``categories``) at ``png_path``."""
    png_path = Path(png_path).resolve()
    png_path.parent.mkdir(parents=True, exist_ok=True)
    png_path.unlink(missing_ok=True)
    url = Path(html_path).resolve().as_uri() + (f"#{fragment}" if fragment else "")
    _run_chromium(url, [f"--screenshot={png_path}", f"--window-size={width},{height}"], budget_ms=budget_ms)
    if not png_path.is_file() or png_path.stat().st_size == 0:
        raise BrowserError(f"Chromium wrote no screenshot of {url} to {png_path}")
    return png_path


class _TestIdText(HTMLParser):
    """Collects the text inside each element carrying a ``data-testid``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []
        self.texts: dict[str, list[str]] = {}
        self.open_ids: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"br", "img", "input", "meta", "link", "hr", "source", "path", "circle", "stop"}:
            return
        test_id = dict(attrs).get("data-testid")
        self.stack.append((tag, test_id))
        if test_id:
            self.open_ids.append([])

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            open_tag, test_id = self.stack.pop()
            if test_id:
                parts = self.open_ids.pop()
                self.texts.setdefault(test_id, []).append(" ".join(" ".join(parts).split()))
                if self.open_ids:
                    self.open_ids[-1].extend(parts)
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.open_ids:
            self.open_ids[-1].append(data)


def texts_by_test_id(dom: str) -> dict[str, list[str]]:
    """The visible text of every ``data-testid`` element in ``dom``, in document order."""
    dom = re.sub(r"<(script|style)\b.*?</\1>", "", dom, flags=re.S | re.I)
    parser = _TestIdText()
    parser.feed(dom)
    return parser.texts


def shown_totals(dom: str) -> dict[str, int]:
    """The totals in the report's summary bar: ``{"total": 3, "passed": 1, "failed": 1, ...}``."""
    totals = {}
    for test_id, texts in texts_by_test_id(dom).items():
        if test_id.startswith("metadata-item-") and texts:
            number = re.search(r"(\d+)\s*$", texts[0])
            if number:
                totals[test_id.removeprefix("metadata-item-")] = int(number.group(1))
    return totals
