"""The dashboard in a real headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright) against a real uvicorn server on a slice of the Seoul sample, fitted by the
CLI. Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pandas as pd
import pytest

from api.accuracy_schemas import AccuracyOut
from api.app import create_app
from data.store import open_store
from forecast.settings import Settings

if os.environ.get("CI") == "true":
    from playwright import sync_api
else:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed: pip install -e '.[dev]'")

pytestmark = [pytest.mark.integration, pytest.mark.slow]
expect = sync_api.expect

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPO_ROOT / "data" / "samples"
SCREENSHOTS = REPO_ROOT / "artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
KOREAN = "배송"
CATEGORIES = ("delivery", "refund")
EVENTS_CSV = ("name,kind,start,end,categories\n"
              f"winter-sale-2026,campaign,2026-11-23,2026-11-29,delivery;{KOREAN}\n"
              "refund-portal-fix,outage,2026-10-28,2026-10-28,refund\n")
SERVER_ENV = {"VOCAST_TIMEZONE": "Asia/Seoul", "VOCAST_HOLIDAY_COUNTRY": "KR",
              "VOCAST_DEFAULT_AHT_SECONDS": "240"}
# loose thresholds, so the alert check finds peaks in the sample's next week
ALERT_ENV = {"VOCAST_ALERT_RATIO": "1.0", "VOCAST_ALERT_MIN_EXCESS": "0",
             "VOCAST_ALERT_USE_UPPER": "true"}
START_TIMEOUT_SECONDS = 30.0
PAGE_TIMEOUT_MS = 30_000


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"no {CHROMIUM}: apt-get install chromium fonts-noto-cjk (scripts/test does as root)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def _env(database_url: str, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("VOCAST_")}
    return env | SERVER_ENV | {"VOCAST_DATABASE_URL": database_url,
                               "PYTHONPATH": str(REPO_ROOT)} | extra


def _alerts_served(database_url: str) -> bool:
    paths = create_app(Settings(database_url=database_url)).openapi()["paths"]
    return "/v1/alerts" in paths


def _cli(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "jobs.cli", "--log-level", "WARNING", *args],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"vocast {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def _sample_slice(name: str, since: str, folder: Path) -> Path:
    """Two categories from `since`, plus a Korean-named copy of delivery/chat."""
    frame = pd.read_csv(SAMPLES / name, dtype=str)
    frame = frame[(frame["ts"] >= since) & frame["category"].isin(CATEGORIES)]
    korean = frame[(frame["category"] == "delivery") & (frame["channel"] == "chat")]
    path = folder / name.replace(".csv.gz", ".csv")
    pd.concat([frame, korean.assign(category=KOREAN)]).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store with the slice ingested, events loaded, a cheap fit published and
    (when the API serves alerts) an alert check run as of the forecast's first morning."""
    _require_chromium()
    folder = tmp_path_factory.mktemp("dashboard")
    db = folder / "vocast.db"
    env = _env(f"sqlite:///{db}")
    daily = _sample_slice("seoul_daily.csv.gz", "2026-08-01", folder)
    intraday = _sample_slice("seoul_30min.csv.gz", "2026-10-26", folder)
    (folder / "events.csv").write_text(EVENTS_CSV, encoding="utf-8")
    _cli(env, "ingest", str(daily), str(intraday))
    _cli(env, "events", "import", str(folder / "events.csv"))
    _cli(env, "fit", "--model", "week_average")
    if _alerts_served(f"sqlite:///{db}"):
        _cli(env | ALERT_ENV, "alerts", "check", "--as-of", "2026-11-16T08:00:00")
    return db


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _serve(db: Path, log: Path) -> Iterator[str]:
    """`python -m uvicorn --factory api.app:create_app` on a free loopback port."""
    port = _free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app",
             "--host", "127.0.0.1", "--port", str(port)],
            cwd=log.parent, env=_env(f"sqlite:///{db}"), stdout=sink, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not _healthy(base_url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"uvicorn did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield base_url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _healthy(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture(scope="module")
def server(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _serve(sample_db, tmp_path_factory.mktemp("server") / "uvicorn.log") as base_url:
        yield base_url


@pytest.fixture(scope="module")
def playwright() -> Iterator[sync_api.Playwright]:
    _require_chromium()
    with sync_api.sync_playwright() as driver:
        yield driver


@dataclass
class Browser:
    page: sync_api.Page
    errors: list[str] = field(default_factory=list)

    def open(self, url: str) -> None:
        self.page.goto(url)
        self.wait_ready()

    def wait_ready(self) -> None:
        self.page.wait_for_selector("body[data-state=ready]", state="attached")

    def wait_for(self, selector: str, name: str, value: re.Pattern[str]) -> None:
        """Until the attribute matches and the page is ready again (no script evaluation:
        the page's Content-Security-Policy forbids it)."""
        expect(self.page.locator(selector)).to_have_attribute(name, value)
        expect(self.page.locator("body")).to_have_attribute("data-state", "ready")

    def attr(self, selector: str, name: str) -> str:
        value = self.page.locator(selector).get_attribute(name)
        assert value is not None, f"{selector} has no {name}"
        return value

    def shoot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


@pytest.fixture
def browser(playwright: sync_api.Playwright, tmp_path: Path) -> Iterator[Browser]:
    """A fresh Chromium profile; console errors and page errors are collected."""
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
        headless=True, viewport={"width": 1360, "height": 900}, accept_downloads=True)
    page = context.pages[0] if context.pages else context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    found = Browser(page)
    page.on("console", lambda m: found.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: found.errors.append(f"pageerror: {error}"))
    try:
        yield found
    finally:
        context.close()


def test_page_draws_chart_heatmap_and_figures_of_the_sample(browser: Browser, server: str
                                                            ) -> None:
    browser.open(f"{server}/")
    page = browser.page
    assert browser.attr("#chart svg", "data-series") == "delivery · all channels · D"
    assert browser.attr("#chart svg", "data-actual-points") == "56"  # 8 weeks of days
    assert browser.attr("#chart svg", "data-forecast-points") == "28"
    for line in ("line-actual", "line-forecast", "band-80", "band-95"):
        assert len(browser.attr(f"#chart path.{line}", "d")) > 200, line
    assert page.locator("#chart rect.holiday").count() >= 4  # Chuseok, Foundation Day, ...
    labels = page.locator("#chart .holiday-label").all_text_contents()
    assert any(label.startswith("Chuseok") for label in labels), labels
    assert page.locator("#chart rect.event").count() == 1
    assert browser.attr("#heatmap svg", "data-days") == "14"
    assert int(browser.attr("#heatmap svg", "data-cells")) > 300
    fills = {cell.get_attribute("fill") for cell in page.locator("#heatmap rect.cell").all()}
    assert len(fills) >= 5  # a scale, not one colour
    for tile in ("kpi-next", "kpi-peak", "kpi-agents"):
        assert re.fullmatch(r"[\d,]+", page.locator(f"#{tile} .value").inner_text()), tile
    assert "No backtest" in page.locator("#accuracy").inner_text()  # week_average: none
    browser.shoot("dashboard-delivery.png")
    assert browser.errors == []


def test_picking_a_category_redraws_everything(browser: Browser, server: str) -> None:
    browser.open(f"{server}/")
    page = browser.page
    options = page.locator("#category option").all_inner_texts()
    assert options == ["All categories", "delivery", "refund", KOREAN]
    before = browser.attr("#chart path.line-forecast", "d")
    page.select_option("#category", KOREAN)
    browser.wait_for("#chart svg", "data-series", re.compile(f"^{KOREAN} "))
    assert page.locator("#category option:checked").inner_text() == KOREAN
    assert page.locator("#channel option").all_inner_texts() == ["chat"]  # no sum of one
    assert browser.attr("#heatmap svg", "data-series") == f"{KOREAN} · chat · 30min"
    assert browser.attr("#chart path.line-forecast", "d") != before
    assert KOREAN in page.locator("#chart-sub").inner_text()
    assert f"category={KOREAN}" in page.evaluate("decodeURIComponent(location.hash)")
    page.select_option("#freq", "30min")
    browser.wait_for("#chart svg", "data-series", re.compile("30min$"))
    assert browser.attr("#chart svg", "data-forecast-points") == str(14 * 48)  # 14 days
    browser.shoot("dashboard-korean.png")
    assert browser.errors == []


def test_csv_links_download_each_view(browser: Browser, server: str) -> None:
    browser.open(f"{server}/#category=refund&channel=phone&freq=D")
    headers = {"csv-forecast": "ts,category,channel,freq,yhat",
               "csv-actuals": "ts,category,channel,freq,count",
               "csv-holidays": "date,name",
               "csv-staffing": "ts,category,channel,freq,volume"}
    for link, header in headers.items():
        with browser.page.expect_download() as started:
            browser.page.click(f"#{link}")
        download = started.value
        assert download.suggested_filename.endswith(".csv"), link
        text = Path(download.path()).read_text(encoding="utf-8")
        assert text.startswith(header), (link, text[:80])
        assert len(text.splitlines()) > 1, link
    assert browser.errors == []


def test_accuracy_table_and_tile_show_the_backtest(browser: Browser, server: str) -> None:
    series = {"category": "delivery", "channel": "chat", "freq": "D", "model": "ets",
              "folds": 4, "wape": 0.1234, "mase": 0.8, "bias": 0.01, "coverage80": 0.79,
              "coverage95": 0.71, "runner_up": "week_average", "runner_up_wape": 0.2,
              "improvement_vs_runner_up": 0.38, "seasonal_naive": "seasonal_naive",
              "seasonal_naive_wape": 0.15, "improvement_vs_seasonal_naive": 0.18,
              "models": 2, "leaderboard": []}
    body = AccuracyOut.model_validate({"run_id": "run-1", "series": [series]})
    browser.page.route(re.compile(r"/v1/accuracy\?"), lambda route: route.fulfill(
        status=200, content_type="application/json", body=body.model_dump_json()))
    browser.open(f"{server}/#category=delivery&channel=chat&freq=D")
    cells = browser.page.locator("#accuracy tr.current td").all_inner_texts()
    assert cells == ["delivery · chat", "Daily", "ets", "12.3%", "79.0%", "71.0%", "−18%"]
    assert browser.page.locator("#accuracy td.poor").all_inner_texts() == ["71.0%"]
    assert browser.page.locator("#kpi-wape .value").inner_text() == "12.3%"
    assert browser.errors == []


def test_sections_without_an_api_say_so(browser: Browser, server: str) -> None:
    spec = httpx.get(f"{server}/openapi.json").json()
    for path in ("/v1/staffing", "/v1/alerts"):
        spec["paths"].pop(path, None)
    browser.page.route("**/openapi.json", lambda route: route.fulfill(json=spec))
    browser.open(f"{server}/")
    assert "Staffing unavailable" in browser.page.locator("#heatmap").inner_text()
    assert "Alerts unavailable" in browser.page.locator("#alerts").inner_text()
    assert browser.page.locator("#chart svg").count() == 1  # the rest still works
    assert browser.errors == []


def test_firing_alerts_can_be_silenced(browser: Browser, server: str, sample_db: Path) -> None:
    if not _alerts_served(f"sqlite:///{sample_db}"):
        pytest.skip("this API does not serve /v1/alerts")
    browser.open(f"{server}/")
    items = browser.page.locator("#alerts li.alert")
    assert items.count() > 0
    assert browser.page.locator("#kpi-alerts .value").inner_text() == str(items.count())
    first = items.first
    title = first.locator(".title").inner_text()
    first.get_by_role("button", name="Silence 4 h").click()
    first.locator(".silenced").wait_for()
    silences = httpx.get(f"{server}/v1/silences").json()["silences"]
    assert len(silences) == 1
    assert silences[0]["category"] in title and silences[0]["comment"]
    assert browser.errors == []


def test_a_key_is_asked_for_after_a_401_and_kept_for_the_session(
    browser: Browser, sample_db: Path, tmp_path: Path
) -> None:
    db = tmp_path / "keyed.db"
    shutil.copy(sample_db, db)
    store = open_store(f"sqlite:///{db}")
    try:
        _, token = store.create_api_key("dashboard", ["read"])
    finally:
        store.dispose()
    page = browser.page
    with _serve(db, tmp_path / "uvicorn.log") as base_url:
        page.goto(f"{base_url}/")
        page.wait_for_selector("#key-dialog[open]")
        page.fill("#key-input", "vck_00000000_wrong")
        page.click("#key-dialog button[value=save]")
        expect(page.locator("#key-message")).to_have_text(re.compile("^The key was refused"))
        page.fill("#key-input", token)
        page.click("#key-dialog button[value=save]")
        browser.wait_ready()
        assert page.locator("#chart svg").count() == 1
        assert page.evaluate("sessionStorage.getItem('vocast.apiKey')") == token
        page.reload()
        browser.wait_ready()
        assert not page.locator("#key-dialog").evaluate("dialog => dialog.open")
        assert int(browser.attr("#heatmap svg", "data-cells")) > 0
    # the browser logs each refused request; nothing else may fail
    unexpected = [e for e in browser.errors if not re.search(r"status of 40[13]\b", e)]
    assert unexpected == []
    assert any("status of 401" in e for e in browser.errors)
