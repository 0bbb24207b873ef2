"""`manage.py create_api_token`: prints a working token once and stores only its hash."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.authentication import user_for_token
from accounts.models import ApiToken, hash_token


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_prints_a_token_that_authenticates_and_stores_only_its_hash(owner):
    out, err = run(owner.email)

    raw = out.strip().splitlines()[-1]
    user, token = user_for_token(raw)
    assert user == owner
    assert token.key_hash == hash_token(raw) != raw
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert not any(raw in str(value) for value in stored.values())
    assert raw not in err and token.prefix in err and owner.email in err


def test_name_expiry_and_email_case(owner):
    out, _ = run(owner.email.upper(), "--name", "nightly job", "--expires-days", "30")

    token = ApiToken.objects.get(user=owner)
    assert token.name == "nightly job"
    remaining = token.expires_at - timezone.now()
    assert 29 < remaining.total_seconds() / 86400 <= 30
    assert user_for_token(out.strip().splitlines()[-1])[0] == owner


def test_unknown_email_is_a_clear_error(db):
    with pytest.raises(CommandError, match="nobody@example.com"):
        run("nobody@example.com")
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("args", [["--expires-days", "0"], ["--name", " "], ["--name", "x" * 101]])
def test_bad_options_are_clear_errors(owner, args):
    with pytest.raises(CommandError):
        run(owner.email, *args)
    assert not ApiToken.objects.exists()


def test_inactive_user_gets_no_token(owner):
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    with pytest.raises(CommandError, match="deactivated"):
        run(owner.email)


def test_a_token_limited_to_predicting_in_one_project(owner, project, outsider):
    out, err = run(owner.email, "--scope", "predict", "--project", str(project.pk))
    token = ApiToken.objects.get(user=owner)
    assert (token.scope, token.project) == ("predict", project)
    with pytest.raises(CommandError, match="project this user can see"):
        run(outsider.email, "--project", str(project.pk))
