"""The model registry in a real browser: from a finished job to its model card, a prediction
from the form with its explanation chart, then promoting the version to production.
Screenshots of each step go to /tmp/shots/models-*.png."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import make_project, make_workspace
from tests.training import jobs
from training.models import ModelAlias

from .test_dataset_upload import owner, sign_in  # noqa: F401 - the fixture and the helper

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"models-{name}.png"), full_page=True)


def test_open_a_model_predict_with_its_form_and_promote_it(live_url, browser_page, owner, tmp_path):  # noqa: F811
    project = make_project(make_workspace(owner, "Retail"), owner, "Buyers")
    dataset = jobs.buyers_dataset(project, owner)
    result, _ = jobs.run_engine(tmp_path)
    job = jobs.finish_job(jobs.make_job(project, owner, dataset), result, tmp_path)
    version = job.model_versions.get()
    page = browser_page
    sign_in(page, live_url, owner.email)

    page.goto(f"{live_url}/jobs/{job.pk}/")
    page.get_by_role("link", name="Model version 1").click()
    expect(page.get_by_role("heading", name=re.compile("Version 1"))).to_be_visible()
    expect(page.locator("#chart-permutation .main-svg").first).to_be_visible(timeout=30_000)
    shot(page, "1-card")

    page.get_by_role("link", name="Predict", exact=True).click()
    expect(page.get_by_label("plan")).to_have_value(re.compile(".+"))  # typical values filled in
    page.get_by_label("income").fill("95")
    page.get_by_label("plan").select_option("team")
    page.get_by_role("button", name="Predict", exact=True).click()
    expect(page.locator("#chart-explanation .main-svg").first).to_be_visible(timeout=30_000)
    expect(page.get_by_role("table", name="Probability of each class")).to_be_visible()
    assert page.evaluate("window.location.pathname").endswith("/predict/")  # answered in place (htmx)
    shot(page, "2-prediction")

    page.get_by_label("plan").select_option("")  # unknown is allowed
    page.get_by_label("income").fill("")
    page.get_by_role("button", name="Predict", exact=True).click()
    expect(page.locator("#chart-explanation .main-svg").first).to_be_visible(timeout=30_000)

    page.goto(f"{live_url}/models/{version.pk}/")
    page.get_by_role("button", name="Promote to production").click()
    page.get_by_role("button", name="Promote", exact=True).click()
    expect(page.locator(".page-header .badge-alias-production")).to_have_text("production")
    expect(page.locator(".alias-history")).to_contain_text("production")
    assert ModelAlias.objects.get(project=project, name="production").version == version
    shot(page, "3-promoted")
