"""Workspaces, their members, invitations and audit log through the API."""

from urllib.parse import urlparse

from projects.models import AuditEvent, Invitation, Membership, Workspace, hash_invitation_token
from tests import factories

from .conftest import api_url

WORKSPACE_FIELDS = {
    "id",
    "name",
    "slug",
    "description",
    "is_personal",
    "role",
    "member_count",
    "project_count",
    "created_at",
}


# --- Workspaces -----------------------------------------------------------------------


def test_create_workspace_makes_you_owner(editor, as_user):
    response = as_user(editor).post(
        api_url("workspace-list"), {"name": "Research", "description": "Lab"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == WORKSPACE_FIELDS
    assert (body["name"], body["role"], body["member_count"], body["project_count"]) == ("Research", "owner", 1, 0)
    assert body["slug"] == "research" and body["is_personal"] is False
    assert Membership.objects.get(workspace_id=body["id"], user=editor).role == "owner"


def test_list_shows_your_workspaces_with_your_role_and_counts(
    workspace, owner, admin_user, viewer, project, outsider, as_user
):
    listed = as_user(viewer).get(api_url("workspace-list")).json()
    assert listed["count"] == 1
    [row] = listed["results"]
    assert (row["id"], row["role"], row["member_count"], row["project_count"]) == (workspace.pk, "viewer", 3, 1)
    outsider_names = [w["name"] for w in as_user(outsider).get(api_url("workspace-list")).json()["results"]]
    assert outsider_names == ["Other company"]


def test_update_workspace_needs_change(workspace, admin_user, editor, outsider, as_user):
    url = api_url("workspace-detail", pk=workspace.pk)
    assert as_user(editor).patch(url, {"name": "Nope"}, format="json").status_code == 403
    assert as_user(outsider).patch(url, {"name": "Nope"}, format="json").status_code == 404
    response = as_user(admin_user).patch(url, {"name": "Acme data", "description": "All of it"}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "Acme data" and response.json()["role"] == "admin"
    workspace.refresh_from_db()
    assert workspace.name == "Acme data"
    assert AuditEvent.objects.filter(workspace=workspace, action="update").exists()


def test_update_workspace_rejects_blank_name(workspace, owner, as_user):
    response = as_user(owner).patch(api_url("workspace-detail", pk=workspace.pk), {"name": "   "}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()


def test_delete_workspace_is_a_soft_delete_by_the_owner(workspace, owner, admin_user, as_user):
    url = api_url("workspace-detail", pk=workspace.pk)
    assert as_user(admin_user).delete(url).status_code == 403
    assert as_user(owner).delete(url).status_code == 204
    assert Workspace.all_objects.get(pk=workspace.pk).deleted_at is not None
    assert as_user(owner).get(url).status_code == 404


def test_leave_workspace(workspace, owner, viewer, as_user):
    client = as_user(viewer)
    assert client.post(api_url("workspace-leave", pk=workspace.pk)).status_code == 204
    assert client.get(api_url("workspace-detail", pk=workspace.pk)).status_code == 404


def test_last_owner_cannot_leave(workspace, owner, as_user):
    response = as_user(owner).post(api_url("workspace-leave", pk=workspace.pk))
    assert response.status_code == 400
    assert "last owner" in str(response.json())


# --- Members --------------------------------------------------------------------------


def test_members_list(workspace, owner, editor, viewer, as_user):
    response = as_user(viewer).get(api_url("workspace-member-list", workspace_pk=workspace.pk))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {r["email"]: r["role"] for r in rows} == {
        "owner@example.com": "owner",
        "editor@example.com": "editor",
        "viewer@example.com": "viewer",
    }
    assert set(rows[0]) == {"user", "email", "full_name", "role", "joined"}


def test_invite_returns_the_link_once(workspace, admin_user, as_user, django_capture_on_commit_callbacks, mailoutbox):
    url = api_url("workspace-member-list", workspace_pk=workspace.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(admin_user).post(url, {"email": "New@Example.com", "role": "editor"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "email", "role", "status", "invited_by", "created_at", "expires_at", "accept_url"}
    assert (body["email"], body["role"], body["status"]) == ("new@example.com", "editor", "pending")
    raw = urlparse(body["accept_url"]).path.rstrip("/").rsplit("/", 1)[-1]
    assert Invitation.objects.get(pk=body["id"]).token_hash == hash_invitation_token(raw)
    assert mailoutbox[0].to == ["new@example.com"]
    # The list of invitations never shows the link again.
    listed = as_user(admin_user).get(api_url("workspace-invitation-list", workspace_pk=workspace.pk)).json()
    assert "accept_url" not in listed["results"][0]


def test_invite_validation(workspace, owner, editor, as_user):
    url = api_url("workspace-member-list", workspace_pk=workspace.pk)
    client = as_user(owner)
    for payload, field in [
        ({"email": "x@example.com", "role": "boss"}, "role"),
        ({"email": "not-an-email", "role": "viewer"}, "email"),
        ({"role": "viewer"}, "email"),
        ({"email": "x@example.com"}, "role"),
        ({"email": editor.email, "role": "viewer"}, "email"),
    ]:
        response = client.post(url, payload, format="json")
        assert response.status_code == 400, payload
        assert field in response.json(), (payload, response.json())


def test_admin_cannot_invite_an_owner_and_editor_cannot_invite(workspace, admin_user, editor, as_user):
    url = api_url("workspace-member-list", workspace_pk=workspace.pk)
    payload = {"email": "x@example.com", "role": "owner"}
    assert as_user(admin_user).post(url, payload, format="json").status_code == 403
    assert as_user(editor).post(url, {"email": "x@example.com", "role": "viewer"}, format="json").status_code == 403


def test_change_role(workspace, owner, editor, as_user):
    url = api_url("workspace-member-detail", workspace_pk=workspace.pk, user_id=editor.pk)
    response = as_user(owner).patch(url, {"role": "viewer"}, format="json")
    assert response.status_code == 200
    assert response.json()["role"] == "viewer"
    assert Membership.objects.get(workspace=workspace, user=editor).role == "viewer"


def test_change_role_validation(workspace, owner, editor, as_user):
    url = api_url("workspace-member-detail", workspace_pk=workspace.pk, user_id=editor.pk)
    for payload in [{"role": "boss"}, {}, {"role": None}, {"role": ["owner"]}]:
        response = as_user(owner).patch(url, payload, format="json")
        assert response.status_code == 400, payload
        assert "role" in response.json()


def test_admin_cannot_touch_an_owner(workspace, owner, admin_user, as_user):
    url = api_url("workspace-member-detail", workspace_pk=workspace.pk, user_id=owner.pk)
    client = as_user(admin_user)
    assert client.patch(url, {"role": "viewer"}, format="json").status_code == 403
    assert client.delete(url).status_code == 403
    assert Membership.objects.get(workspace=workspace, user=owner).role == "owner"


def test_last_owner_protection(workspace, owner, as_user):
    # Removing yourself is leaving, and the last owner may not leave.
    response = as_user(owner).delete(api_url("workspace-member-detail", workspace_pk=workspace.pk, user_id=owner.pk))
    assert response.status_code == 400
    assert "last owner" in str(response.json())
    assert Membership.objects.filter(workspace=workspace, user=owner).exists()


def test_demoting_an_owner_keeps_one(workspace, owner, as_user):
    second = factories.make_user("second@example.com")
    factories.add_member(workspace, second, "owner")
    url = api_url("workspace-member-detail", workspace_pk=workspace.pk, user_id=second.pk)
    assert as_user(owner).patch(url, {"role": "admin"}, format="json").status_code == 200
    # The owner cannot demote themself, so there is always someone left to hold the workspace.
    self_url = api_url("workspace-member-detail", workspace_pk=workspace.pk, user_id=owner.pk)
    assert as_user(owner).patch(self_url, {"role": "admin"}, format="json").status_code == 403


def test_remove_member(workspace, admin_user, editor, viewer, as_user):
    url = api_url("workspace-member-detail", workspace_pk=workspace.pk, user_id=editor.pk)
    assert as_user(viewer).delete(url).status_code == 403
    assert as_user(admin_user).delete(url).status_code == 204
    assert not Membership.objects.filter(workspace=workspace, user=editor).exists()
    assert as_user(admin_user).delete(url).status_code == 404


def test_members_of_another_workspace_are_404(workspace, outsider, owner, as_user):
    client = as_user(outsider)
    assert client.get(api_url("workspace-member-list", workspace_pk=workspace.pk)).status_code == 404
    detail = api_url("workspace-member-detail", workspace_pk=workspace.pk, user_id=owner.pk)
    assert client.delete(detail).status_code == 404


# --- Invitations and audit ------------------------------------------------------------


def test_invitations_list_and_revoke(workspace, owner, admin_user, editor, as_user):
    pending, _ = Invitation.new(workspace=workspace, email="a@example.com", role="viewer", invited_by=owner)
    accepted, _ = Invitation.new(workspace=workspace, email="b@example.com", role="viewer", invited_by=owner)
    Invitation.objects.filter(pk=accepted.pk).update(accepted_at=accepted.created_at)
    url = api_url("workspace-invitation-list", workspace_pk=workspace.pk)
    assert as_user(editor).get(url).status_code == 403
    rows = as_user(admin_user).get(url).json()["results"]
    assert [r["email"] for r in rows] == ["a@example.com"]
    assert rows[0]["invited_by"] == "owner@example.com"

    detail = api_url("workspace-invitation-detail", workspace_pk=workspace.pk, pk=pending.pk)
    assert as_user(editor).delete(detail).status_code == 403
    assert as_user(admin_user).delete(detail).status_code == 204
    pending.refresh_from_db()
    assert pending.status == "revoked"
    assert as_user(admin_user).delete(detail).status_code == 404


def test_audit_log_for_admins_filterable_by_action(workspace, owner, admin_user, viewer, project, as_user):
    as_user(owner).post(
        api_url("workspace-member-list", workspace_pk=workspace.pk), {"email": "x@example.com", "role": "viewer"}
    )
    url = api_url("workspace-audit-list", workspace_pk=workspace.pk)
    assert as_user(viewer).get(url).status_code == 403
    body = as_user(admin_user).get(url).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert {e["action"] for e in body["results"]} >= {"create", "invite"}
    invites = as_user(admin_user).get(url, {"action": "invite"}).json()["results"]
    assert [e["action"] for e in invites] == ["invite"]
    assert invites[0]["actor_email"] == "owner@example.com"
    assert as_user(admin_user).get(url, {"action": "explode"}).status_code == 400
