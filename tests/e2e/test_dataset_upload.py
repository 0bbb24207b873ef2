"""Uploading a file in a real browser, watching a real worker process it live, then exploring it.

The worker starts only once the dataset page is open, so the page is certainly showing a
processing version when the work begins, and the test can prove the page follows it to
Ready by itself (no reload), through the WebSocket (or the polling fallback).
Screenshots of each step go to /tmp/shots/upload-*.png.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from datasets.models import Dataset, DatasetVersion
from tests import processes
from tests.factories import PASSWORD, make_project, make_user, make_workspace

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

SHOTS = Path("/tmp/shots")
ROWS = 3000
NO_THROTTLE = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}

# Records every state #dataset-progress goes through, whichever way it is replaced.
WATCH_PROGRESS = """() => {
  window.__samePage = true;
  window.__seen = [];
  const note = () => {
    const el = document.getElementById("dataset-progress");
    if (!el) return;
    const entry = el.dataset.status + ": " + el.textContent.replace(/\\s+/g, " ").trim();
    if (window.__seen[window.__seen.length - 1] !== entry) window.__seen.push(entry);
  };
  note();
  new MutationObserver(note).observe(document.body, { childList: true, subtree: true });
}"""


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"upload-{name}.png"), full_page=True)


def write_customers(path: Path, rows: int = ROWS) -> None:
    plans = ("basic", "pro", "team")
    lines = ["customer_id,age,plan,monthly_fee,signup_date,churned"]
    for i in range(1, rows + 1):
        lines.append(
            f"{i},{18 + (i * 7) % 60},{plans[i % 3]},{9.5 + (i % 9) * 4.25:.2f},"
            f"2024-{1 + i % 12:02d}-{1 + i % 28:02d},{'yes' if (i * 13) % 5 == 0 else 'no'}"
        )
    path.write_text("\n".join(lines) + "\n")


def drop_file(page, name: str, content: str) -> None:
    """Drop a file on the upload form's drop zone, as a user dragging it from their desktop."""
    transfer = page.evaluate_handle(
        "([name, content]) => { const t = new DataTransfer();"
        " t.items.add(new File([content], name, { type: 'text/csv' })); return t; }",
        [name, content],
    )
    zone = page.locator("[data-dropzone]")
    zone.dispatch_event("dragover", {"dataTransfer": transfer})
    zone.dispatch_event("drop", {"dataTransfer": transfer})


def sign_in(page, live_url: str, email: str) -> None:
    page.goto(f"{live_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("log in|sign in", re.I)).click()
    expect(page).to_have_url(f"{live_url}/")


@pytest.fixture
def owner(settings, transactional_db):
    # The web server checks passwords with the real hashers, not the suite's fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    return make_user("uploader@example.com", full_name="Uma Uploader")


def test_upload_watch_processing_live_then_profile_and_charts(live_url, browser_page, tmp_path, owner):
    project = make_project(make_workspace(owner, "Retail"), owner, "Churn")
    csv = tmp_path / "customers.csv"
    write_customers(csv)
    page = browser_page

    sign_in(page, live_url, owner.email)
    page.goto(f"{live_url}/projects/{project.pk}/")
    page.get_by_role("link", name="More options…").click()
    expect(page.get_by_role("heading", name="Upload a file")).to_be_visible()

    page.locator('input[type="file"]').set_input_files(str(csv))
    expect(page.locator("[data-file-summary]")).to_contain_text("customers.csv")
    expect(page.get_by_label("Dataset name")).to_have_attribute("placeholder", "customers")
    shot(page, "1-file-chosen")

    # Slow the network down so the upload takes a few seconds and its progress can be seen.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 48 * 1024},
    )
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("[data-upload-progress]")).to_be_visible()
    page.wait_for_function(
        "() => { const p = parseInt(document.querySelector('[data-upload-percent]').textContent, 10);"
        " return p > 5 && p < 95; }"
    )
    expect(page.locator("[data-upload-bytes]")).to_contain_text(re.compile(r"KB of \d+(\.\d)? KB sent"))
    shot(page, "2-uploading")

    page.wait_for_url(re.compile(r"/datasets/\d+/$"), timeout=60_000)
    cdp.send("Network.emulateNetworkConditions", NO_THROTTLE)
    dataset = Dataset.objects.get(project=project)
    assert dataset.name == "customers" and dataset.latest_version.status == DatasetVersion.Status.PROCESSING

    progress = page.locator("#dataset-progress")
    expect(progress).to_have_attribute("data-status", "processing")
    expect(progress).to_contain_text("Waiting for a worker")
    shot(page, "3-waiting-for-worker")
    page.evaluate(WATCH_PROGRESS)

    with processes.celery_worker():
        # The page follows the run, then swaps its content in once the version is done.
        expect(page.locator(".dataset-header .badge-processing")).to_have_count(0, timeout=120_000)
        shot(page, "4-processed")
        seen = page.evaluate("window.__seen")
        expect(page.locator(".dataset-header .badge-ready")).to_be_visible()
        expect(page.locator("#dataset-main table").first).to_be_visible()
        assert page.evaluate("window.__samePage") is True, "the page was reloaded"
        # The worker's stages arrived live (through the WebSocket), then the final state.
        assert any(entry.startswith("processing") and "Waiting" not in entry for entry in seen), seen
        assert any(entry.startswith("ready") for entry in seen), seen

        dataset.latest_version.refresh_from_db()
        assert dataset.latest_version.status == DatasetVersion.Status.READY
        assert dataset.latest_version.n_rows == ROWS

        tabs = page.locator("nav.dataset-tabs")
        tabs.get_by_role("link", name="Profile").click()
        expect(page.locator("#dataset-profile")).to_contain_text("3,000")
        shot(page, "5-profile")

        tabs.get_by_role("link", name="Charts").click()
        expect(page.locator(".js-plotly-plot, .plot-container").first).to_be_visible(timeout=30_000)
        shot(page, "6-charts")

        # A broken file dropped on the new-version page: refused with the reason, and recorded.
        page.get_by_role("link", name="Upload new version").click()
        drop_file(page, "broken.csv", "\x00\x01\x02" * 2000)
        expect(page.locator("[data-file-summary]")).to_contain_text("broken.csv")
        page.get_by_role("button", name="Upload new version").click()
        expect(page.locator(".field.has-error .errors")).to_contain_text("binary data")
        assert page.evaluate("window.location.pathname").endswith("/upload/")
        shot(page, "7-refused-version")

    page.goto(f"{live_url}/datasets/{dataset.pk}/versions/")
    versions = page.locator("#dataset-versions")
    expect(versions).to_contain_text("customers.csv")
    expect(versions).to_contain_text("broken.csv")
    expect(versions.locator(".version-error")).to_contain_text("binary data")
    shot(page, "8-versions")

    # The same pages on a phone, and in the dark palette.
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "9-versions-narrow")
    page.goto(f"{live_url}/projects/{project.pk}/datasets/")
    expect(page.get_by_role("link", name="customers")).to_be_visible()
    shot(page, "10-list-narrow")
    page.goto(f"{live_url}/projects/{project.pk}/datasets/upload/")
    shot(page, "11-upload-narrow")
    page.goto(f"{live_url}/projects/{project.pk}/datasets/import-sql/")
    shot(page, "12-import-sql-narrow")
    page.emulate_media(color_scheme="dark")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_url}/datasets/{dataset.pk}/versions/")
    shot(page, "13-versions-dark")
    page.goto(f"{live_url}/projects/{project.pk}/")
    shot(page, "14-project-dark")


def test_import_from_postgresql_in_the_browser(live_url, browser_page, owner):
    project = make_project(make_workspace(owner, "Finance"), owner, "Ledger")
    page = browser_page
    sign_in(page, live_url, owner.email)

    page.goto(f"{live_url}/projects/{project.pk}/datasets/")
    expect(page.get_by_role("heading", name="No datasets yet")).to_be_visible()
    shot(page, "sql-0-empty-list")
    page.get_by_role("link", name="Import from a database").click()
    expect(page.get_by_role("heading", name="Import from a database")).to_be_visible()

    # A typed URL is tested before it is saved; saving offers (and selects) it in the query form.
    page.get_by_label("Connection name").fill("Local PostgreSQL")
    page.get_by_label("Database URL").fill(POSTGRES_URL)
    page.get_by_role("button", name="Test", exact=True).click()
    expect(page.locator("#new-connection-test")).to_contain_text("PostgreSQL")
    page.get_by_role("button", name="Save connection").click()
    expect(page.locator(".connection-list")).to_contain_text("Local PostgreSQL")
    # Saving tests it at once: the toast and the list say it works.
    expect(page.locator("#toasts")).to_contain_text("Connection “Local PostgreSQL” saved and tested: ")
    expect(page.locator(".connection-list .connection-test-ok")).to_contain_text("PostgreSQL")
    expect(page.get_by_label("Connection", exact=True)).to_have_value(str(project.sql_connections.get().pk))
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#import-test-result")).to_contain_text("PostgreSQL")
    shot(page, "sql-1-connection-saved")

    # A statement that is not a SELECT is refused in place, with the reason.
    page.get_by_label("SELECT query").fill("DELETE FROM pg_class")
    page.get_by_label("Dataset name").fill("Numbers")
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#sql-import-form .errors, #sql-import-form .form-errors").first).to_contain_text("SELECT")
    shot(page, "sql-2-refused")

    page.get_by_label("SELECT query").fill("SELECT g AS n, g * 2 AS doubled FROM generate_series(1, 500) AS g")
    with processes.celery_worker():
        page.get_by_role("button", name="Import").click()
        page.wait_for_url(re.compile(r"/datasets/\d+/$"))
        expect(page.locator(".dataset-header .badge-ready")).to_be_visible(timeout=120_000)
    expect(page.locator(".dataset-header")).to_contain_text("500 rows × 2 columns")
    shot(page, "sql-3-imported")
    dataset = Dataset.objects.get(project=project)
    assert dataset.name == "Numbers" and dataset.latest_version.source == DatasetVersion.Source.SQL

    # A SQL dataset's new version is the same query run again (editable).
    page.get_by_role("link", name="Upload new version").click()
    expect(page.get_by_label("SELECT query")).to_have_value(re.compile("generate_series"))
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "sql-4-new-version-narrow")


def card_shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("section[aria-labelledby=datasets-heading]").screenshot(path=str(SHOTS / f"dropzone-{name}.png"))
    page.screenshot(path=str(SHOTS / f"dropzone-{name}-page.png"), full_page=True)


def throttle(page, upload_bytes_per_s: int):
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    conditions = {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": upload_bytes_per_s}
    cdp.send("Network.emulateNetworkConditions", conditions)
    return cdp


def test_drop_a_file_on_the_project_page_and_follow_it_to_ready(live_url, browser_page, tmp_path, owner):
    project = make_project(make_workspace(owner, "Retail"), owner, "Churn")
    csv = tmp_path / "customers.csv"
    write_customers(csv)
    page = browser_page
    sign_in(page, live_url, owner.email)
    page.goto(f"{live_url}/projects/{project.pk}/")
    card = page.locator("#project-upload")
    expect(card).to_contain_text("Drop a data file here or choose one")
    card_shot(page, "1-idle")

    # A refused file: the reason shows in the card, and the page stays.
    drop_file(page, "broken.csv", "\x00\x01\x02" * 2000)
    expect(card.locator("[data-upload-error]")).to_contain_text("binary data")
    assert page.evaluate("window.location.pathname") == f"/projects/{project.pk}/"
    assert not Dataset.objects.exists()
    card_shot(page, "2-refused")

    # Choosing a file sends it at once, with a real progress bar (the network slowed down).
    cdp = throttle(page, 48 * 1024)
    card.locator('input[type="file"]').set_input_files(str(csv))
    expect(card.locator("[data-upload-progress]")).to_be_visible()
    expect(card.locator("[data-upload-error]")).to_be_hidden()
    page.wait_for_function(
        "() => { const p = parseInt(document.querySelector('[data-upload-percent]').textContent, 10);"
        " return p > 5 && p < 95; }"
    )
    expect(card.locator("[data-upload-bytes]")).to_contain_text(re.compile(r"KB of \d+(\.\d)? KB sent"))
    expect(card.locator("[data-file-summary]")).to_contain_text("customers.csv")
    card_shot(page, "3-uploading")

    page.wait_for_url(re.compile(r"/datasets/\d+/$"), timeout=60_000)
    cdp.send("Network.emulateNetworkConditions", NO_THROTTLE)
    dataset = Dataset.objects.get(project=project)
    assert dataset.name == "customers"
    expect(page.locator("#dataset-progress")).to_have_attribute("data-status", "processing")
    with processes.celery_worker():
        expect(page.locator(".dataset-header .badge-ready")).to_be_visible(timeout=120_000)
    dataset.latest_version.refresh_from_db()
    assert dataset.latest_version.n_rows == ROWS

    # Back on the project page: the dataset is listed, and the same name is refused readably.
    page.goto(f"{live_url}/projects/{project.pk}/")
    expect(page.get_by_role("link", name="customers")).to_be_visible()
    card_shot(page, "4-listed")
    drop_file(page, "customers.csv", "a,b\n1,2\n")
    expect(card.locator("[data-upload-error]")).to_contain_text("already has a dataset named “customers”")
    card_shot(page, "5-name-taken")

    # On a phone and in the dark palette; an upload stopped half way saves nothing.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_url}/projects/{project.pk}/")
    card_shot(page, "6-narrow")
    page.emulate_media(color_scheme="dark")
    cdp = throttle(page, 16 * 1024)
    orders = tmp_path / "orders.csv"
    write_customers(orders)
    card.locator('input[type="file"]').set_input_files(str(orders))
    page.wait_for_function("() => parseInt(document.querySelector('[data-upload-percent]').textContent, 10) > 3")
    card_shot(page, "7-narrow-dark-uploading")
    card.get_by_role("button", name="Stop upload").click()
    expect(card.locator("[data-upload-error]")).to_contain_text("Upload stopped. Nothing was saved.")
    card_shot(page, "8-narrow-dark-stopped")
    cdp.send("Network.emulateNetworkConditions", NO_THROTTLE)
    assert Dataset.objects.filter(project=project).count() == 1
    page.set_viewport_size({"width": 1280, "height": 900})
    drop_file(page, "broken.csv", "\x00\x01\x02" * 2000)
    expect(card.locator("[data-upload-error]")).to_contain_text("binary data")
    card_shot(page, "9-dark-refused")
