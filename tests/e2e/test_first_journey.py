"""A new user's first minutes, in a real browser against the real server."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from projects.models import Membership, Project

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-and-unusual-passphrase-42"


def test_sign_up_create_workspace_and_project_then_see_it_listed(live_url, browser_page):
    page = browser_page
    page.goto(f"{live_url}/accounts/signup/")
    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label(re.compile("Password \\(again\\)|Confirm", re.I)).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign up", re.I)).click()

    # Signed in at once, on the dashboard, with a personal workspace.
    expect(page).to_have_url(f"{live_url}/")
    user = User.objects.get(email="newcomer@example.com")
    assert Membership.objects.filter(user=user, role="owner", workspace__is_personal=True).exists()

    page.goto(f"{live_url}/workspaces/new/")
    page.get_by_label("Name").fill("Forecasting team")
    page.get_by_role("button", name=re.compile("create", re.I)).click()
    expect(page.get_by_role("heading", name="Forecasting team")).to_be_visible()
    workspace = Membership.objects.get(user=user, workspace__name="Forecasting team").workspace

    page.goto(f"{live_url}/workspaces/{workspace.pk}/projects/new/")
    page.get_by_label("Name").fill("Demand forecast")
    page.get_by_label("Problem type").select_option("regression")
    page.get_by_role("button", name=re.compile("create", re.I)).click()
    expect(page.get_by_role("heading", name="Demand forecast")).to_be_visible()

    page.goto(f"{live_url}/workspaces/{workspace.pk}/")
    expect(page.get_by_role("link", name="Demand forecast")).to_be_visible()
    project = Project.objects.get(name="Demand forecast")
    assert project.workspace == workspace and project.problem_type == "regression"
