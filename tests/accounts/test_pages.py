"""The account pages as a user meets them: sign up, log in and out, profile, API tokens,
and the friendly error pages. Real database, real allauth, no mocks."""

import re
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken, User, hash_token
from projects.models import Membership
from tests import factories

RAW_TOKEN = re.compile(r"aml_[A-Za-z0-9_\-]{20,}")


def login(client, user):
    client.force_login(user)
    return client


# --- Sign up, log in, log out -----------------------------------------------------------


@pytest.mark.django_db
def test_sign_up_creates_the_user_signs_them_in_and_gives_a_personal_workspace(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "New.Person@Example.com", "password1": "a-long-passphrase-42", "password2": "a-long-passphrase-42"},
    )

    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    user = User.objects.get(email="new.person@example.com")
    assert client.session["_auth_user_id"] == str(user.pk)
    membership = Membership.objects.get(user=user)
    assert membership.workspace.is_personal
    assert membership.role == "owner"
    assert client.get(reverse("profile")).status_code == 200


@pytest.mark.django_db
def test_sign_up_with_mismatched_passwords_explains_and_creates_nobody(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "someone@example.com", "password1": "a-long-passphrase-42", "password2": "another-passphrase-42"},
    )

    assert response.status_code == 200
    assert "You must type the same password each time." in response.content.decode()
    assert 'class="field has-error"' in response.content.decode()
    assert not User.objects.filter(email="someone@example.com").exists()


@pytest.mark.django_db
def test_sign_up_page_asks_for_email_and_password_twice_in_our_layout(client):
    html = client.get("/accounts/signup/").content.decode()

    assert 'name="email"' in html
    assert 'name="password1"' in html
    assert 'name="password2"' in html
    assert 'class="entrance-card"' in html
    assert "css/app.css" in html


def test_log_in_and_log_out(client, owner):
    response = client.post("/accounts/login/", {"login": owner.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("profile")).status_code == 200

    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_log_in_with_a_wrong_password_says_so(client, owner):
    response = client.post("/accounts/login/", {"login": owner.email, "password": "not-the-password"})

    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["profile", "tokens"])
def test_anonymous_visitors_are_sent_to_log_in(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login") + "?next=")


@pytest.mark.django_db
def test_anonymous_revoke_is_sent_to_log_in(client, owner):
    token, _ = ApiToken.issue(user=owner, name="ci")

    response = client.post(reverse("token_revoke", args=[token.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    token.refresh_from_db()
    assert token.revoked_at is None


def test_allauth_manage_pages_share_our_settings_tabs(client, owner):
    login(client, owner)

    for url in (reverse("account_change_password"), reverse("account_email")):
        html = client.get(url).content.decode()
        assert 'aria-label="Account settings"' in html
        assert reverse("tokens") in html


# --- Layout -----------------------------------------------------------------------------


def test_layout_shows_the_workspace_navigation_by_role(client, workspace, owner, viewer):
    html = login(client, owner).get(reverse("profile")).content.decode()
    assert workspace.name in html
    assert reverse("workspace_switch", args=[workspace.pk]) in html
    assert reverse("workspace_settings", args=[workspace.pk]) in html
    assert reverse("workspace_audit", args=[workspace.pk]) in html
    assert owner.initials in html

    html = login(client, viewer).get(reverse("profile")).content.decode()
    assert reverse("workspace_members", args=[workspace.pk]) in html
    assert reverse("workspace_settings", args=[workspace.pk]) not in html
    assert reverse("workspace_audit", args=[workspace.pk]) not in html
    assert reverse("admin:index") not in html


def test_layout_links_the_admin_only_for_staff(client, owner):
    owner.is_staff = True
    owner.save(update_fields=["is_staff"])

    html = login(client, owner).get(reverse("profile")).content.decode()

    assert reverse("admin:index") in html


# --- Profile ----------------------------------------------------------------------------


def test_profile_update_saves_and_applies_the_theme(client, owner):
    login(client, owner)

    response = client.post(
        reverse("profile"), {"full_name": "Olive O. Owner", "theme": "dark", "timezone": "Europe/Paris"}, follow=True
    )

    owner.refresh_from_db()
    assert (owner.full_name, owner.theme, owner.timezone) == ("Olive O. Owner", "dark", "Europe/Paris")
    html = response.content.decode()
    assert response.redirect_chain[-1] == (reverse("profile"), 302)
    assert 'data-theme="dark"' in html
    assert "Profile saved." in html
    assert 'data-theme="dark"' in client.get(reverse("tokens")).content.decode()


def test_profile_with_an_unknown_time_zone_shows_a_readable_error(client, owner):
    login(client, owner)

    response = client.post(reverse("profile"), {"full_name": "", "theme": "dark", "timezone": "Mars/Olympus_Mons"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose a time zone from the list." in html
    # Nothing was saved, and the page does not pretend otherwise by switching theme.
    assert 'data-theme="system"' in html
    owner.refresh_from_db()
    assert (owner.theme, owner.timezone) == ("system", "UTC")


# --- API tokens -------------------------------------------------------------------------


def test_creating_a_token_shows_it_once_and_stores_only_its_hash(client, owner):
    login(client, owner)

    response = client.post(reverse("tokens"), {"name": "CI pipeline", "expires_in": "90", "scope": "all"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = RAW_TOKEN.search(response.content.decode()).group(0)
    token = ApiToken.objects.get(user=owner)
    assert token.name == "CI pipeline"
    assert token.key_hash == hash_token(raw) != raw
    assert not any(raw in str(value) for value in ApiToken.objects.filter(pk=token.pk).values().get().values())
    assert timezone.now() + timedelta(days=89) < token.expires_at < timezone.now() + timedelta(days=91)
    assert f'Bearer {raw}" http://testserver/api/v1/me/' in response.content.decode()

    again = client.get(reverse("tokens")).content.decode()
    assert raw not in again
    assert token.prefix in again
    assert "CI pipeline" in again


def test_a_token_can_be_created_without_expiry(client, owner):
    login(client, owner)

    client.post(reverse("tokens"), {"name": "Forever", "expires_in": "never", "scope": "all"})

    assert ApiToken.objects.get(user=owner).expires_at is None


def test_the_default_lifetime_comes_from_settings(client, owner, settings):
    settings.API_TOKEN_DEFAULT_TTL_DAYS = 60

    html = login(client, owner).get(reverse("tokens")).content.decode()

    assert '<option value="60" selected>In 60 days</option>' in html


def test_creating_a_token_with_htmx_answers_with_the_panel_only(client, owner):
    login(client, owner)

    response = client.post(
        reverse("tokens"), {"name": "Notebook", "expires_in": "30", "scope": "all"}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="token-panel"')
    raw = RAW_TOKEN.search(html).group(0)
    assert ApiToken.objects.get(user=owner).key_hash == hash_token(raw)


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "Give the token a name"), ("   ", "Give the token a name"), ("x" * 101, "100 characters or fewer")],
)
def test_a_token_needs_a_name_of_at_most_100_characters(client, owner, name, message):
    login(client, owner)

    response = client.post(reverse("tokens"), {"name": name, "expires_in": "90", "scope": "all"})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ApiToken.objects.filter(user=owner).exists()


def test_revoking_a_token(client, owner):
    token, _ = ApiToken.issue(user=owner, name="Old laptop")
    login(client, owner)

    response = client.post(reverse("token_revoke", args=[token.pk]), follow=True)

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert response.redirect_chain[-1] == (reverse("tokens"), 302)
    html = response.content.decode()
    assert "badge-revoked" in html
    assert "revoked. Anything using it can no longer call the API." in html


def test_revoking_with_htmx_answers_with_the_list_and_a_toast(client, owner):
    token, _ = ApiToken.issue(user=owner, name="Old laptop")
    login(client, owner)

    response = client.post(reverse("token_revoke", args=[token.pk]), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" id="token-list"')
    assert 'hx-swap-oob="beforeend"' in html
    assert "toast-success" in html
    token.refresh_from_db()
    assert token.status == "revoked"


def test_revoke_needs_a_post(client, owner):
    token, _ = ApiToken.issue(user=owner, name="ci")

    response = login(client, owner).get(reverse("token_revoke", args=[token.pk]))

    assert response.status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_nobody_can_revoke_someone_elses_token(client, owner, outsider):
    token, _ = ApiToken.issue(user=outsider, name="Theirs")
    login(client, owner)

    response = client.post(reverse("token_revoke", args=[token.pk]))

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert "Theirs" not in client.get(reverse("tokens")).content.decode()


# --- Error pages ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_404_page_is_friendly_for_anonymous_visitors(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "does not exist" in html
    assert reverse("account_login") in html


def test_the_404_page_offers_the_dashboard_when_signed_in(client, owner):
    response = login(client, owner).get("/no-such-page/")

    assert response.status_code == 404
    assert "Back to the dashboard" in response.content.decode()


def test_the_500_page_needs_no_context():
    html = render_to_string("errors/500.html")

    assert "Something went wrong" in html
    assert 'href="/static/css/app.css"' in html


def test_a_token_can_be_limited_to_reading_and_predicting_in_one_project(client, owner, project, outsider):
    login(client, owner)
    page = client.get(reverse("tokens")).content.decode()
    assert "Read and predict" in page and project.name in page
    client.post(reverse("tokens"), {"name": "Scorer", "expires_in": "30", "scope": "predict", "project": project.pk})
    token = ApiToken.objects.get(user=owner, name="Scorer")
    assert (token.scope, token.project) == ("predict", project)
    listed = client.get(reverse("tokens")).content.decode()
    assert "Read and predict, only" in listed
    # A project the user cannot see is not a choice.
    elsewhere = factories.make_project(factories.make_workspace(outsider, "Theirs"), outsider, "Secret")
    response = client.post(
        reverse("tokens"), {"name": "X", "expires_in": "30", "scope": "all", "project": elsewhere.pk}
    )
    assert response.status_code == 200 and not ApiToken.objects.filter(name="X").exists()
