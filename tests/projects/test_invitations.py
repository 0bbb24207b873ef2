"""Members and invitations through the pages: inviting, accepting (with and without an
account), revoking, changing roles, removing and leaving."""

from datetime import timedelta

from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from projects import services
from projects.models import Invitation, Membership
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def invite(workspace, actor, email="new.person@example.com", role="editor") -> tuple[Invitation, str]:
    return services.invite_member(actor=actor, workspace=workspace, email=email, role=role)


def accept_url(raw: str) -> str:
    return reverse("invitation_accept", args=[raw])


# --- Inviting ---------------------------------------------------------------------------


def test_invite_from_members_page_shows_the_link_once(workspace, admin_user, django_capture_on_commit_callbacks):
    client = client_for(admin_user)
    members_url = reverse("workspace_members", args=[workspace.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("invitation_create", args=[workspace.pk]), {"email": "Dana@Example.com", "role": "viewer"}
        )
    assert response["Location"] == members_url
    invitation = Invitation.objects.get(workspace=workspace, email="dana@example.com")
    assert invitation.role == "viewer" and invitation.invited_by == admin_user
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["dana@example.com"]

    first = client.get(members_url).content.decode()
    link = first.split('id="new-invite-link" value="')[1].split('"')[0]
    assert link.startswith("http://testserver/invitations/") and link in mail.outbox[0].body
    assert "dana@example.com" in first  # listed as pending
    assert link not in client.get(members_url).content.decode()


def test_invite_with_htmx_answers_with_the_panel(workspace, owner):
    client = client_for(owner)
    url = reverse("invitation_create", args=[workspace.pk])
    response = client.post(url, {"email": "erin@example.com", "role": "admin"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'id="invite-panel"' in body and "/invitations/" in body and 'id="toasts"' in body

    response = client.post(url, {"email": "not-an-email", "role": "admin"}, **HTMX)
    assert response.status_code == 200 and "has-error" in response.content.decode()


def test_invite_errors_are_shown(workspace, owner, editor, admin_user):
    client = client_for(owner)
    url = reverse("invitation_create", args=[workspace.pk])
    response = client.post(url, {"email": editor.email, "role": "viewer"})
    assert response.status_code == 400
    assert "already a member" in response.content.decode()
    assert client.post(url, {"email": "x@example.com", "role": "emperor"}).status_code == 400
    # Admins may not hand out the owner role: the form does not offer it and the service refuses.
    response = client_for(admin_user).post(url, {"email": "x@example.com", "role": "owner"})
    assert response.status_code == 400
    assert not Invitation.objects.filter(email="x@example.com").exists()


def test_only_managers_invite(workspace, editor, viewer):
    url = reverse("invitation_create", args=[workspace.pk])
    for user in (editor, viewer):
        assert client_for(user).post(url, {"email": "x@example.com", "role": "viewer"}).status_code == 403
    body = client_for(viewer).get(reverse("workspace_members", args=[workspace.pk])).content.decode()
    assert "Invite people" not in body


# --- Accepting --------------------------------------------------------------------------


def test_existing_user_accepts_with_the_link(workspace, owner, outsider):
    invitation, raw = invite(workspace, owner, email=outsider.email, role="editor")
    client = client_for(outsider)
    page = client.get(accept_url(raw))
    assert page.status_code == 200
    body = page.content.decode()
    assert workspace.name in body and "Accept invitation" in body and "Olive Owner" in body

    response = client.post(accept_url(raw))
    assert response["Location"] == reverse("workspace_detail", args=[workspace.pk])
    assert workspace.role_of(outsider) == "editor"
    assert client.session["workspace_id"] == workspace.pk
    follow = client.get(response["Location"])
    assert "Welcome to Acme analytics" in follow.content.decode()
    # The link is used up; following it again just opens the workspace.
    assert client.get(accept_url(raw))["Location"] == reverse("workspace_detail", args=[workspace.pk])


def test_new_user_signs_up_through_the_link_and_joins(workspace, owner):
    invitation, raw = invite(workspace, owner, email="fresh@example.com", role="viewer")
    client = Client()
    page = client.get(accept_url(raw))
    body = page.content.decode()
    assert page.status_code == 200
    assert reverse("account_signup") in body
    assert f"{reverse('account_login')}?next={accept_url(raw)}" in body.replace("%2F", "/")
    assert client.session["invitation_token"] == raw
    assert client.session["invitation_email"] == "fresh@example.com"

    response = client.post(
        reverse("account_signup"),
        {"email": "fresh@example.com", "password1": factories.PASSWORD, "password2": factories.PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get(email="fresh@example.com")
    assert workspace.role_of(user) == "viewer"
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    # Signed in, landing on the invited workspace, with a personal one of their own as well.
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.context["workspace"] == workspace
    assert user.workspaces.filter(is_personal=True).exists()


def test_existing_user_logs_in_through_the_link(workspace, owner, outsider):
    _, raw = invite(workspace, owner, email=outsider.email)
    client = Client()
    client.get(accept_url(raw))
    response = client.post(
        reverse("account_login") + f"?next={accept_url(raw)}",
        {"login": outsider.email, "password": factories.PASSWORD},
    )
    assert response["Location"] == accept_url(raw)
    assert client.post(accept_url(raw)).status_code == 302
    assert workspace.role_of(outsider) == "editor"


def test_anonymous_cannot_accept_without_signing_in(workspace, owner):
    invitation, raw = invite(workspace, owner)
    response = Client().post(accept_url(raw))
    assert response["Location"].startswith(reverse("account_login"))
    invitation.refresh_from_db()
    assert invitation.is_pending


def test_dead_invitations_explain_what_happened(workspace, owner, outsider):
    client = client_for(outsider)

    revoked, raw = invite(workspace, owner, email="a@example.com")
    services.revoke_invitation(actor=owner, invitation=revoked)
    response = client.get(accept_url(raw))
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()
    assert client.post(accept_url(raw)).status_code == 410
    assert workspace.role_of(outsider) is None

    expired, raw = invite(workspace, owner, email="b@example.com")
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = Client().get(accept_url(raw))
    assert response.status_code == 410
    assert "expired" in response.content.decode()

    used, raw = invite(workspace, owner, email="c@example.com")
    services.accept_invitation(user=factories.make_user("c@example.com"), invitation=used)
    response = client.get(accept_url(raw))
    assert response.status_code == 410
    assert "already accepted" in response.content.decode()

    response = Client().get(accept_url("not-a-real-token"))
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_dashboard_invitation_is_accepted_by_its_addressee_only(workspace, owner, outsider, editor):
    invitation, _ = invite(workspace, owner, email=outsider.email, role="viewer")
    client = client_for(outsider)
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.context["invitations"] == [invitation]
    assert reverse("invitation_accept_own", args=[invitation.pk]) in dashboard.content.decode()

    url = reverse("invitation_accept_own", args=[invitation.pk])
    assert client.get(url).status_code == 405
    assert client_for(factories.make_user()).post(url).status_code == 404
    assert client.post(reverse("invitation_accept_own", args=[999999])).status_code == 404

    response = client.post(url)
    assert response["Location"] == reverse("workspace_detail", args=[workspace.pk])
    assert workspace.role_of(outsider) == "viewer"
    assert client.get(reverse("dashboard")).context["invitations"] == []


def test_revoke_from_members_page(workspace, owner, admin_user, viewer, outsider):
    invitation, raw = invite(workspace, owner)
    url = reverse("invitation_revoke", args=[workspace.pk, invitation.pk])
    assert client_for(viewer).post(url).status_code == 403
    assert client_for(outsider).post(url).status_code == 404
    response = client_for(admin_user).post(url)
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == "revoked"
    assert Client().get(accept_url(raw)).status_code == 410
    assert client_for(owner).post(reverse("invitation_revoke", args=[workspace.pk, 999999])).status_code == 404


# --- Roles, removal and leaving -------------------------------------------------------


def test_change_role_inline(workspace, owner, editor):
    membership = Membership.objects.get(workspace=workspace, user=editor)
    url = reverse("member_role", args=[workspace.pk, membership.pk])
    response = client_for(owner).post(url, {"role": "viewer"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith("<tr") and f'id="member-{membership.pk}"' in body
    assert "is now viewer" in body  # the toast, swapped out of band
    membership.refresh_from_db()
    assert membership.role == "viewer"


def test_change_role_without_javascript(workspace, owner, editor):
    membership = Membership.objects.get(workspace=workspace, user=editor)
    url = reverse("member_role", args=[workspace.pk, membership.pk])
    response = client_for(owner).post(url, {"role": "admin"})
    assert response["Location"] == reverse("workspace_members", args=[workspace.pk])
    membership.refresh_from_db()
    assert membership.role == "admin"


def test_unknown_role_is_a_400_with_a_message(workspace, owner, editor):
    membership = Membership.objects.get(workspace=workspace, user=editor)
    url = reverse("member_role", args=[workspace.pk, membership.pk])
    client = client_for(owner)
    response = client.post(url, {"role": "superuser"})
    assert response.status_code == 400
    assert "Unknown role" in response.content.decode()
    response = client.post(url, {"role": "superuser"}, **HTMX)
    assert response.status_code == 200 and "Unknown role" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == "editor"


def test_admin_cannot_demote_or_remove_an_owner(workspace, owner, admin_user):
    membership = Membership.objects.get(workspace=workspace, user=owner)
    client = client_for(admin_user)
    page = client.get(reverse("workspace_members", args=[workspace.pk]))
    owner_row = next(row for row in page.context["rows"] if row["membership"] == membership)
    assert not owner_row["manageable"]
    response = client.post(reverse("member_role", args=[workspace.pk, membership.pk]), {"role": "viewer"})
    assert response.status_code == 403
    assert "owner" in response.content.decode()
    assert client.post(reverse("member_remove", args=[workspace.pk, membership.pk])).status_code == 403
    assert workspace.role_of(owner) == "owner"


def test_admin_cannot_promote_to_owner(workspace, admin_user, editor):
    membership = Membership.objects.get(workspace=workspace, user=editor)
    url = reverse("member_role", args=[workspace.pk, membership.pk])
    response = client_for(admin_user).post(url, {"role": "owner"})
    assert response.status_code == 403
    assert workspace.role_of(editor) == "editor"


def test_last_owner_cannot_leave_or_demote_themselves(workspace, owner):
    client = client_for(owner)
    response = client.post(reverse("workspace_leave", args=[workspace.pk]))
    assert response.status_code == 400
    assert "last owner" in response.content.decode()
    assert workspace.role_of(owner) == "owner"

    membership = Membership.objects.get(workspace=workspace, user=owner)
    response = client.post(reverse("member_role", args=[workspace.pk, membership.pk]), {"role": "admin"})
    assert response.status_code == 403
    assert "your own role" in response.content.decode()
    assert workspace.role_of(owner) == "owner"


def test_owner_can_leave_once_another_owner_exists(workspace, owner, admin_user):
    admin_membership = Membership.objects.get(workspace=workspace, user=admin_user)
    client = client_for(owner)
    client.post(reverse("member_role", args=[workspace.pk, admin_membership.pk]), {"role": "owner"})
    response = client.post(reverse("workspace_leave", args=[workspace.pk]))
    assert response["Location"] == reverse("dashboard")
    assert workspace.role_of(owner) is None and workspace.role_of(admin_user) == "owner"


def test_remove_member(workspace, owner, editor, viewer):
    membership = Membership.objects.get(workspace=workspace, user=editor)
    url = reverse("member_remove", args=[workspace.pk, membership.pk])
    assert client_for(viewer).post(url).status_code == 403
    body = client_for(owner).get(reverse("workspace_members", args=[workspace.pk])).content.decode()
    assert f'action="{url}"' in body and "data-confirm=" in body
    response = client_for(owner).post(url)
    assert response["Location"] == reverse("workspace_members", args=[workspace.pk])
    assert workspace.role_of(editor) is None


def test_members_page_is_hidden_from_outsiders(workspace, owner, viewer, outsider):
    assert client_for(outsider).get(reverse("workspace_members", args=[workspace.pk])).status_code == 404
    page = client_for(viewer).get(reverse("workspace_members", args=[workspace.pk]))
    assert page.status_code == 200 and owner.email in page.content.decode()
    assert not any(row["manageable"] for row in page.context["rows"])
