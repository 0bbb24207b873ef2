"""Email verification: optional by default (signed in at once), mandatory when an operator
sets ACCOUNT_EMAIL_VERIFICATION=mandatory (no access until the emailed link is followed)."""

import re

from django.core import mail

from accounts.models import User

PASSWORD = "an-unusual-passphrase-77"


def _sign_up(client, email):
    return client.post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}, follow=True)


def test_optional_verification_signs_in_at_once_and_still_sends_the_link(client, db):
    response = _sign_up(client, "fast@example.com")
    assert response.wsgi_request.user.is_authenticated
    assert any("fast@example.com" in m.to for m in mail.outbox)


def test_mandatory_verification_holds_the_user_back_until_the_link_is_followed(client, db, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    response = _sign_up(client, "careful@example.com")
    assert User.objects.filter(email="careful@example.com").exists()
    assert not response.wsgi_request.user.is_authenticated
    assert client.get("/").status_code == 302  # the dashboard still sends them to log in

    message = next(m for m in mail.outbox if "careful@example.com" in m.to)
    link = re.search(r"http://testserver(/accounts/confirm-email/\S+)", message.body).group(1)
    client.post(link)
    response = client.get("/")
    assert response.status_code == 200
    assert response.wsgi_request.user.email == "careful@example.com"
