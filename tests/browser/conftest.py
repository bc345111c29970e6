"""The dashboard in a real browser: the distribution's Chromium driven by Selenium through the
system chromedriver (no browser download), against the real ``oversight serve`` process on a
free loopback port and the demo database, with users made by ``oversight users add``.

Screenshots of every page visited are saved under a folder printed at the end of the run
(``$OVERSIGHT_SCREENSHOTS`` when set, e.g. ``docs/screenshots``; ``$OVERSIGHT_SCREENSHOT_HEIGHT``
caps their height, e.g. 1400 for the README's). With ``$CI`` set, a missing
Chromium, chromedriver or Selenium fails the tests; otherwise they are skipped with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
DRIVER = "chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1024,900",
)
PASSWORD = "correct horse battery staple"
#: The trust user's organisation (the first acute trust of the demo data).
USERS = (("ann", "analyst"), ("vic", "viewer"), ("tess", "trust"))

_SHOTS: list[Path] = []
_SHOT_DIR: list[Path] = []


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the browser tests must run; .ci/run installs chromium and chromium-driver)")
    pytest.skip(reason)


@dataclass(frozen=True)
class Browser:
    chromium: str
    driver: str


@pytest.fixture(scope="session")
def browser() -> Browser:
    chromium = next((p for p in (shutil.which(n) for n in CHROMIUM) if p), None)
    driver = shutil.which(DRIVER) or ("/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)
    if chromium is None or driver is None:
        _missing("Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        _missing("Selenium is not installed (pip install selenium)")
    assert chromium is not None and driver is not None
    return Browser(chromium, driver)


# ----------------------------------------------------------------------------- server
@dataclass
class Site:
    """The running server, its database and its users."""

    base: str
    db: Path
    own: str
    other: str
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(env: dict[str, str], *args: str, input: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "nhs_oversight.cli", *args],
        input=input,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def start_server(db: Path, env: dict[str, str], log: Path, *extra: str) -> tuple[str, subprocess.Popen[bytes]]:
    """``oversight serve --db DB --port P`` on a free loopback port; returns its address once
    ``/api/health`` answers."""
    port = _free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "nhs_oversight.cli", "serve", "--db", str(db), "--port", str(port), *extra],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/health", timeout=2) as response:
                if response.status == 200:
                    return base, process
        except (urllib.error.URLError, OSError):
            pass
        if process.poll() is not None:
            raise AssertionError(f"the server stopped: {log.read_text()}")
        if time.monotonic() > deadline:
            process.terminate()
            raise AssertionError("the server did not start in 90 s")
        time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture(scope="session")
def site(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("dashboard")
    env = {
        **os.environ,
        "HOME": str(root / "home"),
        "XDG_DATA_HOME": str(root / "data"),
        "XDG_CACHE_HOME": str(root / "cache"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("OVERSIGHT_DB", None)
    folder, db = root / "demo", root / "demo.sqlite"
    _cli(env, "demo-data", str(folder))
    _cli(env, "import", str(folder), "--db", str(db))
    orgs = pd.read_csv(folder / "organisations.csv")
    trusts = sorted(orgs[orgs["kind"].isin(["foundation_trust", "nhs_trust"])]["code"])
    own, other = trusts[0], trusts[1]
    for name, role in USERS:
        org = ("--org", own) if role == "trust" else ()
        _cli(
            env, "users", "add", name, "--role", role, *org, "--password-stdin", "--db", str(db), input=PASSWORD + "\n"
        )
    base, process = start_server(db, env, root / "server.log")
    site = Site(base, db, own, other, env, [process])
    try:
        yield site
    finally:
        for p in site.processes:
            stop(p)


# ---------------------------------------------------------------------------- browser
def screenshot_dir() -> Path:
    if not _SHOT_DIR:
        chosen = os.environ.get("OVERSIGHT_SCREENSHOTS")
        folder = Path(chosen) if chosen else Path(tempfile.mkdtemp(prefix="oversight-screenshots-"))
        folder.mkdir(parents=True, exist_ok=True)
        _SHOT_DIR.append(folder.resolve())
    return _SHOT_DIR[0]


class Page:
    """A signed-in (or anonymous) browser on the site, with the checks every page gets."""

    def __init__(self, browser: Browser, base: str, profile: Path) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = browser.chromium
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(browser.driver), options=options)
        self.driver.set_page_load_timeout(120)
        self.base = base

    # navigation ----------------------------------------------------------------------
    def open(self, path: str) -> None:
        self.driver.get(self.base + path)
        self.wait_for_charts()

    def wait_for_charts(self, timeout: float = 30) -> None:
        """Wait until every figure of the page is drawn by plotly.js."""
        deadline = time.monotonic() + timeout
        while True:
            pending = self.driver.execute_script(
                "return document.querySelectorAll('[data-chart]').length - "
                "document.querySelectorAll('[data-chart][data-ready]').length"
            )
            if not pending:
                return
            assert time.monotonic() < deadline, f"{pending} figures not drawn on {self.driver.current_url}"
            time.sleep(0.2)

    def click_and_wait(self, element: Any, timeout: float = 120) -> None:
        """Click a link or button that loads a new page, and wait for it (and its figures)."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        old = self.driver.find_element(By.TAG_NAME, "html")
        element.click()

        def gone(driver: Any) -> bool:
            # Chromium sometimes reports a replaced page's node as "not in the document" instead
            # of a stale element: both mean the new page has replaced it
            try:
                return bool(expected_conditions.staleness_of(old)(driver))
            except WebDriverException:
                return True

        WebDriverWait(self.driver, timeout).until(gone)
        WebDriverWait(self.driver, timeout).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )
        self.wait_for_charts()

    def sign_in(self, name: str, password: str = PASSWORD) -> None:
        from selenium.webdriver.common.by import By

        self.driver.get(self.base + "/login")
        self.driver.find_element(By.NAME, "name").send_keys(name)
        self.driver.find_element(By.NAME, "password").send_keys(password)
        self.click_and_wait(self.driver.find_element(By.CSS_SELECTOR, "form [type=submit]"))
        assert not self.driver.current_url.endswith("/login"), self.text("main")

    # reading -------------------------------------------------------------------------
    def text(self, css: str = "body") -> str:
        from selenium.webdriver.common.by import By

        return str(self.driver.find_element(By.CSS_SELECTOR, css).text)

    def all(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return list(self.driver.find_elements(By.CSS_SELECTOR, css))

    def h1(self) -> str:
        return self.text("h1")

    # checks --------------------------------------------------------------------------
    def console_errors(self) -> list[str]:
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def requested(self) -> list[str]:
        """Every URL the browser asked for since the last call (the DevTools network log)."""
        urls = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        return urls

    def foreign(self) -> list[str]:
        """Requests to any origin but the server's (network log and resource timing)."""
        timed = self.driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
            ".concat(performance.getEntriesByType('navigation').map(e => e.name))"
        )
        network = ("http:", "https:", "ws:", "wss:", "ftp:")  # chrome:// pages are the browser's own
        urls = [u for u in [*self.requested(), *timed] if u.startswith(network)]
        return [u for u in urls if not u.startswith(self.base + "/") and u != self.base]

    def check_clean(self, status: int | None = None) -> None:
        """No console error (a CSP violation is one) and no request to another origin.

        ``status``: the page itself was answered with this error status on purpose (a 403
        page), which Chromium logs as a failed resource; nothing else may fail."""
        errors = self.console_errors()
        if status is not None:
            expected = (
                f"{self.driver.current_url} - Failed to load resource: the server responded with a status of {status}"
            )
            errors = [e for e in errors if not e.startswith(expected)]
        alert = self.driver.execute_script(
            "const a = document.querySelector('[role=alert]'); return a && a.textContent"
        )
        assert not errors, f"console errors on {self.driver.current_url}: {errors} {alert or ''}"
        foreign = self.foreign()
        assert not foreign, f"requests to another origin from {self.driver.current_url}: {foreign}"

    def screenshot(self, name: str) -> Path:
        """A full-page PNG of the current page, 1024 px wide."""
        driver = self.driver
        height = int(driver.execute_script("return Math.ceil(document.documentElement.scrollHeight)"))
        tallest = int(os.environ.get("OVERSIGHT_SCREENSHOT_HEIGHT", "12000"))  # e.g. 1400 for the README
        driver.set_window_size(1024, min(max(height, 600), tallest))
        self.wait_for_charts()
        time.sleep(0.3)
        path = screenshot_dir() / f"{name}.png"
        driver.save_screenshot(str(path))
        driver.set_window_size(1024, 900)
        _SHOTS.append(path)
        return path

    def load_ms(self) -> float:
        """Milliseconds from the request to the last byte of the page's HTML."""
        return float(
            self.driver.execute_script(
                "const n = performance.getEntriesByType('navigation')[0]; return n.responseEnd - n.requestStart;"
            )
        )

    def cookie_header(self) -> str:
        return "; ".join(f"{c['name']}={c['value']}" for c in self.driver.get_cookies())

    def fetch(self, path: str) -> tuple[int, str, str]:
        """GET ``path`` with the browser's session cookie (outside the browser)."""
        request = urllib.request.Request(self.base + path, headers={"Cookie": self.cookie_header()})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, response.headers.get("content-type", ""), response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("content-type", ""), exc.read().decode()

    def quit(self) -> None:
        self.driver.quit()


@pytest.fixture
def make_page(browser: Browser, site: Site, tmp_path: Path) -> Iterator[Any]:
    pages: list[Page] = []

    def make(name: str | None = None, base: str | None = None) -> Page:
        page = Page(browser, base or site.base, tmp_path / f"profile-{len(pages)}")
        pages.append(page)
        if name is not None:
            page.sign_in(name)
        return page

    yield make
    for page in pages:
        page.quit()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _SHOT_DIR:
        terminalreporter.write_line(f"Dashboard screenshots ({len(_SHOTS)}): {_SHOT_DIR[0]}")
