"""Training in a real browser: start a job from the wizard, watch its log stream and its
leaderboard fill live while a real worker trains, then open the best model's evaluation.

The worker starts only once the job page is open, so the page certainly shows a queued job
when the work begins, and the test proves it follows the run by itself.
Screenshots of each step go to /tmp/shots/training-*.png.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests import processes
from tests.factories import make_dataset, make_project, make_workspace
from tests.training import data
from training.models import TrainingJob

from .test_dataset_upload import owner, sign_in  # noqa: F401 - the fixture and the helper

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

SHOTS = Path("/tmp/shots")

# Counts log lines and leaderboard rows every time the page changes, so the test can tell
# they arrived one after another (live), not all at once on a reload. Kept in sessionStorage:
# the page reloads itself once the job is done.
WATCH = """() => {
  const lines = [], rows = [];
  const note = () => {
    const l = document.querySelectorAll('#console .log-line').length;
    const r = document.querySelectorAll('#leaderboard [data-trial]').length;
    if (lines[lines.length - 1] !== l) lines.push(l);
    if (rows[rows.length - 1] !== r) rows.push(r);
    sessionStorage.setItem('watch', JSON.stringify([lines, rows]));
  };
  note();
  new MutationObserver(note).observe(document.body, { childList: true, subtree: true });
}"""


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"training-{name}.png"), full_page=True)


def test_start_a_job_watch_it_live_and_open_the_evaluation(live_url, browser_page, owner):  # noqa: F811
    project = make_project(make_workspace(owner, "Retail"), owner, "Buyers", target_column="bought")
    make_dataset(project, owner, "Buyers", content=data.csv(data.buyers(600)), filename="buyers.csv")
    page = browser_page
    sign_in(page, live_url, owner.email)

    page.goto(f"{live_url}/projects/{project.pk}/")
    page.get_by_role("link", name="Train a model").click()
    expect(page.get_by_role("heading", name="Train a model")).to_be_visible()
    expect(page.get_by_label("Target")).to_have_value("bought")
    advice = page.locator("#advice")
    expect(advice).to_contain_text("Classification")
    expect(page.locator("#family-choices")).to_contain_text("Recommended")
    page.get_by_role("button", name="30 s").click()
    expect(page.get_by_label("Time budget (seconds)")).to_have_value("30")
    page.get_by_role("button", name="Use the recommended").click()
    expect(page.locator("#family-choices input[name=families]:checked").first).to_be_checked()
    shot(page, "1-wizard")

    page.get_by_role("button", name="Start training").click()
    page.wait_for_url(re.compile(r"/jobs/\d+/$"))
    job = TrainingJob.objects.get(project=project)
    expect(page.locator("[data-stage]")).to_contain_text("Waiting for a worker")
    expect(page.locator("#console")).to_contain_text("Queued:")
    shot(page, "2-queued")
    page.evaluate(WATCH)

    with processes.celery_worker(queues="training"):
        expect(page.locator("#console")).to_contain_text("Started on", timeout=60_000)
        expect(page.locator("#leaderboard [data-trial]").first).to_be_visible(timeout=60_000)
        expect(page.locator("[data-socket-state]")).to_have_text("live")
        shot(page, "3-running")
        # When the job finishes the page reloads once to show the result.
        expect(page.get_by_role("heading", name="Best model")).to_be_visible(timeout=90_000)
    lines, rows = page.evaluate("JSON.parse(sessionStorage.getItem('watch'))")
    assert len(lines) >= 5, lines  # lines arrived in several steps, not all at once
    assert len([r for r in rows if r > 0]) >= 3, rows  # the leaderboard grew trial by trial
    job.refresh_from_db()
    assert job.status == "succeeded" and job.best_trial is not None
    expect(page.locator(".job-result")).to_contain_text(job.best_trial.name)
    expect(page.locator("#leaderboard tr.is-best")).to_have_count(1)
    shot(page, "4-finished")

    page.get_by_role("link", name="See the evaluation").click()
    expect(page.get_by_role("heading", name="Confusion matrix")).to_be_visible()
    expect(page.locator("#chart-roc .main-svg").first).to_be_visible(timeout=30_000)
    expect(page.locator("#chart-permutation .main-svg").first).to_be_visible()
    slider = page.locator("#threshold-slider")
    before = page.locator("#threshold-stats").inner_text()
    slider.fill("0.8")
    expect(page.locator("#threshold-value")).to_have_text("0.80")
    assert page.locator("#threshold-stats").inner_text() != before
    shot(page, "5-evaluation")

    # Two trials side by side, picked on the leaderboard.
    page.goto(f"{live_url}/jobs/{job.pk}/")
    boxes = page.locator("#leaderboard input[name=trials]:not([disabled])")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_role("button", name="Compare selected").click()
    expect(page.get_by_role("heading", name="Side by side")).to_be_visible()
    expect(page.locator(".compare-table")).to_contain_text("Per fold")
    shot(page, "6-compare")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_url}/jobs/{job.pk}/")
    shot(page, "7-job-narrow")
    page.emulate_media(color_scheme="dark")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_url}/jobs/{job.pk}/evaluation/")
    expect(page.locator("#chart-roc .main-svg").first).to_be_visible(timeout=30_000)
    shot(page, "8-evaluation-dark")
