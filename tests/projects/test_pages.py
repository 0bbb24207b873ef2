"""The workspace and project pages: what each role can see and do through them, and the
live audit log over its WebSocket."""

import pytest
from asgiref.sync import async_to_sync
from django.test import Client
from django.urls import reverse

from projects import services
from projects.context_processors import SESSION_KEY
from projects.models import AuditEvent, Project, Workspace
from tests import factories
from tests.websocket import connect, disconnect, receive_text, ws_headers

HTMX = {"HTTP_HX_REQUEST": "true"}


def htmx(target: str) -> dict:
    return {**HTMX, "HTTP_HX_TARGET": target}


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# --- Who may open what ------------------------------------------------------------------


def workspace_pages(workspace) -> list[str]:
    return [
        reverse("workspace_detail", args=[workspace.pk]),
        reverse("workspace_settings", args=[workspace.pk]),
        reverse("workspace_members", args=[workspace.pk]),
        reverse("workspace_audit", args=[workspace.pk]),
        reverse("project_create", args=[workspace.pk]),
    ]


def project_pages(project) -> list[str]:
    return [
        reverse("project_detail", args=[project.pk]),
        reverse("project_edit", args=[project.pk]),
        reverse("project_sharing", args=[project.pk]),
    ]


def post_endpoints(workspace, project, owner_membership) -> list[tuple[str, dict]]:
    return [
        (reverse("workspace_switch", args=[workspace.pk]), {}),
        (reverse("workspace_settings", args=[workspace.pk]), {"name": "Hacked"}),
        (reverse("workspace_delete", args=[workspace.pk]), {"confirm_name": workspace.name}),
        (reverse("workspace_leave", args=[workspace.pk]), {}),
        (reverse("member_role", args=[workspace.pk, owner_membership.pk]), {"role": "viewer"}),
        (reverse("member_remove", args=[workspace.pk, owner_membership.pk]), {}),
        (reverse("invitation_create", args=[workspace.pk]), {"email": "x@example.com", "role": "viewer"}),
        (reverse("project_create", args=[workspace.pk]), {"name": "Sneaky", "problem_type": "auto"}),
        (reverse("project_edit", args=[project.pk]), {"name": "Renamed", "problem_type": "auto"}),
        (reverse("project_archive", args=[project.pk]), {"archived": "1"}),
        (reverse("project_delete", args=[project.pk]), {}),
        (reverse("project_sharing", args=[project.pk]), {"email": "x@example.com", "role": "viewer"}),
    ]


def test_anonymous_is_sent_to_log_in(workspace, project, client):
    for url in ["/", reverse("workspace_list"), *workspace_pages(workspace), *project_pages(project)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login")), url


def test_outsider_gets_404_on_every_workspace_and_project_page(workspace, project, owner, outsider):
    client = client_for(outsider)
    for url in [*workspace_pages(workspace), *project_pages(project)]:
        assert client.get(url).status_code == 404, url
    owner_membership = workspace.memberships.get(user=owner)
    for url, data in post_endpoints(workspace, project, owner_membership):
        assert client.post(url, data).status_code == 404, url
    project.refresh_from_db()
    assert project.name == "Churn" and not project.is_deleted
    assert Workspace.objects.filter(pk=workspace.pk).exists()


def test_viewer_sees_but_cannot_change(workspace, project, owner, viewer):
    client = client_for(viewer)
    for url in [
        reverse("workspace_detail", args=[workspace.pk]),
        reverse("workspace_members", args=[workspace.pk]),
        reverse("workspace_settings", args=[workspace.pk]),
        reverse("project_detail", args=[project.pk]),
    ]:
        assert client.get(url).status_code == 200, url
    for url in [
        reverse("project_edit", args=[project.pk]),
        reverse("project_sharing", args=[project.pk]),
        reverse("project_create", args=[workspace.pk]),
        reverse("workspace_audit", args=[workspace.pk]),
    ]:
        assert client.get(url).status_code == 403, url
    owner_membership = workspace.memberships.get(user=owner)
    refused = [(url, data) for url, data in post_endpoints(workspace, project, owner_membership)]
    for url, data in refused:
        if url in (reverse("workspace_switch", args=[workspace.pk]), reverse("workspace_leave", args=[workspace.pk])):
            continue  # every member may switch to and leave a workspace
        assert client.post(url, data).status_code == 403, url
    project.refresh_from_db()
    assert (project.name, project.status, project.is_deleted) == ("Churn", "active", False)


def test_viewer_page_shows_no_change_buttons(project, viewer):
    body = client_for(viewer).get(reverse("project_detail", args=[project.pk])).content.decode()
    assert reverse("project_edit", args=[project.pk]) not in body
    assert reverse("project_delete", args=[project.pk]) not in body
    assert "No datasets yet" in body


def test_post_only_endpoints_refuse_get(workspace, project, owner):
    client = client_for(owner)
    owner_membership = workspace.memberships.get(user=owner)
    for url in [
        reverse("workspace_switch", args=[workspace.pk]),
        reverse("workspace_delete", args=[workspace.pk]),
        reverse("workspace_leave", args=[workspace.pk]),
        reverse("member_role", args=[workspace.pk, owner_membership.pk]),
        reverse("member_remove", args=[workspace.pk, owner_membership.pk]),
        reverse("invitation_create", args=[workspace.pk]),
        reverse("project_archive", args=[project.pk]),
        reverse("project_delete", args=[project.pk]),
        reverse("project_unshare", args=[project.pk, owner.pk]),
    ]:
        assert client.get(url).status_code == 405, url


def test_unknown_ids_are_404(workspace, project, owner):
    client = client_for(owner)
    assert client.get(reverse("project_detail", args=[999999])).status_code == 404
    assert client.get(reverse("workspace_detail", args=[999999])).status_code == 404
    assert client.post(reverse("member_role", args=[workspace.pk, 999999]), {"role": "viewer"}).status_code == 404
    assert client.post(reverse("member_remove", args=[workspace.pk, 999999])).status_code == 404
    assert client.post(reverse("project_unshare", args=[project.pk, 999999])).status_code == 404


# --- Dashboard and workspaces ---------------------------------------------------------


def test_brand_new_user_is_offered_a_first_project(db):
    user = factories.make_user("new@example.com")
    services.create_personal_workspace(user=user)
    response = client_for(user).get("/")
    assert response.status_code == 200
    assert "Create your first project" in response.content.decode()


def test_dashboard_shows_recent_projects_of_current_workspace(project, owner):
    response = client_for(owner).get("/")
    assert list(response.context["recent_projects"]) == [project]
    assert response.context["shared_projects"] == []


def test_dashboard_lists_shared_with_me_projects_for_the_sharee(project, sharee):
    response = client_for(sharee).get("/")
    assert response.context["shared_projects"] == [project]
    body = response.content.decode()
    assert "Shared with me" in body
    assert reverse("project_detail", args=[project.pk]) in body
    # The sharee can open the project but not its workspace.
    assert client_for(sharee).get(reverse("project_detail", args=[project.pk])).status_code == 200
    assert client_for(sharee).get(reverse("workspace_detail", args=[project.workspace_id])).status_code == 404


def test_workspace_switch_changes_the_current_workspace(workspace, owner):
    other = services.create_workspace(actor=owner, name="Second team")
    client = client_for(owner)
    response = client.post(reverse("workspace_switch", args=[other.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("workspace_detail", args=[other.pk])
    assert client.session[SESSION_KEY] == other.pk
    assert client.get("/").context["workspace"] == other
    client.post(reverse("workspace_switch", args=[workspace.pk]), **HTMX)
    assert client.get("/").context["workspace"] == workspace


def test_create_workspace_makes_the_creator_owner(db):
    user = factories.make_user()
    client = client_for(user)
    assert client.post(reverse("workspace_create"), {"name": "   "}).status_code == 400
    response = client.post(reverse("workspace_create"), {"name": "Research", "description": "Lab work"})
    workspace = Workspace.objects.get(name="Research")
    assert response["Location"] == reverse("workspace_detail", args=[workspace.pk])
    assert workspace.role_of(user) == "owner"
    assert client.session[SESSION_KEY] == workspace.pk


def test_workspace_list_shows_roles(workspace, editor):
    response = client_for(editor).get(reverse("workspace_list"))
    assert response.status_code == 200
    assert (workspace, "editor") in response.context["rows"]


def test_settings_update_and_validation(workspace, admin_user):
    client = client_for(admin_user)
    url = reverse("workspace_settings", args=[workspace.pk])
    response = client.post(url, {"name": "", "description": "x"})
    assert response.status_code == 400
    response = client.post(url, {"name": "Acme data", "description": "All our models"})
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert (workspace.name, workspace.description) == ("Acme data", "All our models")


def test_only_owner_deletes_workspace_and_must_type_its_name(workspace, owner, admin_user):
    url = reverse("workspace_delete", args=[workspace.pk])
    assert client_for(admin_user).post(url, {"confirm_name": workspace.name}).status_code == 403
    client = client_for(owner)
    response = client.post(url, {"confirm_name": "acme"})
    assert response.status_code == 400
    assert "exactly" in response.content.decode()
    assert Workspace.objects.filter(pk=workspace.pk).exists()
    response = client.post(url, {"confirm_name": workspace.name})
    assert response["Location"] == reverse("workspace_list")
    assert not Workspace.objects.filter(pk=workspace.pk).exists()
    assert Workspace.all_objects.get(pk=workspace.pk).is_deleted
    assert client.get(reverse("workspace_detail", args=[workspace.pk])).status_code == 404


def test_member_leaves_workspace(workspace, editor):
    client = client_for(editor)
    response = client.post(reverse("workspace_leave", args=[workspace.pk]))
    assert response["Location"] == reverse("dashboard")
    assert workspace.role_of(editor) is None
    assert client.get(reverse("workspace_detail", args=[workspace.pk])).status_code == 404


def test_project_list_filters_by_status_and_name(workspace, project, owner, viewer):
    factories.make_project(workspace, owner, "Fraud detection")
    old = factories.make_project(workspace, owner, "Old forecast")
    services.set_project_archived(actor=owner, project=old, archived=True)
    client = client_for(viewer)
    url = reverse("workspace_detail", args=[workspace.pk])

    names = {p.name for p in client.get(url).context["projects"]}
    assert names == {"Fraud detection", "Churn"}
    names = {p.name for p in client.get(url, {"status": "archived"}).context["projects"]}
    assert names == {"Old forecast"}
    names = {p.name for p in client.get(url, {"status": "all", "q": "FORE"}).context["projects"]}
    assert names == {"Old forecast"}
    # Nonsense filters fall back to the default instead of failing.
    assert client.get(url, {"status": "nope", "page": "x"}).status_code == 200

    fragment = client.get(url, {"q": "fraud"}, **htmx("project-list"))
    body = fragment.content.decode()
    assert "<html" not in body and 'id="project-list"' in body
    assert "Fraud detection" in body and "Churn" not in body


# --- Projects ---------------------------------------------------------------------------


def test_editor_creates_project_through_the_page(workspace, editor):
    client = client_for(editor)
    url = reverse("project_create", args=[workspace.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "", "problem_type": "auto"})
    assert response.status_code == 400
    response = client.post(
        url,
        {"name": "Demand", "description": "Weekly sales", "problem_type": "regression", "target_column": "units"},
    )
    project = Project.objects.get(name="Demand")
    assert response["Location"] == reverse("project_detail", args=[project.pk])
    assert (project.workspace, project.problem_type, project.created_by) == (workspace, "regression", editor)
    assert AuditEvent.objects.filter(action="create", target_type="project", target_id=str(project.pk)).exists()


def test_create_project_inline_with_htmx(workspace, editor):
    client = client_for(editor)
    url = reverse("project_create", args=[workspace.pk])
    form = client.get(url, **htmx("new-project"))
    assert form.status_code == 200 and "<html" not in form.content.decode()
    invalid = client.post(url, {"name": "", "problem_type": "nonsense"}, **htmx("new-project"))
    assert invalid.status_code == 200  # htmx swaps only 2xx: the errors come back in the fragment
    assert "<html" not in invalid.content.decode() and "has-error" in invalid.content.decode()
    created = client.post(url, {"name": "Inline", "problem_type": "auto"}, **htmx("new-project"))
    project = Project.objects.get(name="Inline")
    assert created["HX-Redirect"] == reverse("project_detail", args=[project.pk])


def test_edit_project_inline_and_full_page(project, editor):
    client = client_for(editor)
    url = reverse("project_edit", args=[project.pk])
    fragment = client.get(url, **htmx("project-overview"))
    assert "<html" not in fragment.content.decode() and 'value="Churn"' in fragment.content.decode()
    assert "<html" in client.get(url).content.decode()

    data = {"name": "Churn v2", "description": "Now with more data", "problem_type": "classification"}
    response = client.post(url, {**data, "target_column": "left"}, **htmx("project-overview"))
    assert response["HX-Redirect"] == reverse("project_detail", args=[project.pk])
    project.refresh_from_db()
    assert (project.name, project.target_column) == ("Churn v2", "left")

    response = client.post(url, {**data, "name": " "})
    assert response.status_code == 400
    project.refresh_from_db()
    assert project.name == "Churn v2"

    overview = client.get(reverse("project_detail", args=[project.pk]), **htmx("project-overview"))
    assert "<html" not in overview.content.decode() and "Now with more data" in overview.content.decode()


def test_archive_and_unarchive(project, editor):
    client = client_for(editor)
    url = reverse("project_archive", args=[project.pk])
    assert client.post(url, {"archived": "maybe"}).status_code == 400
    assert client.post(url, {"archived": "1"}).status_code == 302
    project.refresh_from_db()
    assert project.status == "archived"
    assert "Unarchive" in client.get(reverse("project_detail", args=[project.pk])).content.decode()
    client.post(url, {"archived": "0"})
    project.refresh_from_db()
    assert project.status == "active"


def test_delete_project(workspace, project, admin_user, editor):
    url = reverse("project_delete", args=[project.pk])
    assert client_for(editor).post(url).status_code == 403
    client = client_for(admin_user)
    response = client.post(url)
    assert response["Location"] == reverse("workspace_detail", args=[workspace.pk])
    assert client.get(reverse("project_detail", args=[project.pk])).status_code == 404
    assert project not in client.get(response["Location"], {"status": "all"}).context["projects"]
    assert Project.all_objects.get(pk=project.pk).deleted_by == admin_user


def test_share_and_unshare_a_project(project, admin_user, editor, outsider):
    url = reverse("project_sharing", args=[project.pk])
    assert client_for(editor).get(url).status_code == 403
    client = client_for(admin_user)
    response = client.post(url, {"email": "nobody@example.com", "role": "viewer"})
    assert response.status_code == 400
    assert "No user has this email address" in response.content.decode()
    response = client.post(url, {"email": editor.email, "role": "viewer"})
    assert response.status_code == 400
    assert "already a member" in response.content.decode()

    assert client.post(url, {"email": outsider.email, "role": "editor"}).status_code == 302
    assert client_for(outsider).get(reverse("project_edit", args=[project.pk])).status_code == 200
    page = client.get(url)
    assert (outsider, "editor") in page.context["shares"]
    detail = client.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert outsider.email in detail

    client.post(reverse("project_unshare", args=[project.pk, outsider.pk]))
    assert client_for(outsider).get(reverse("project_detail", args=[project.pk])).status_code == 404


def test_sharee_sees_their_grant_not_the_other_shares(project, sharee, owner, outsider):
    services.share_project(actor=owner, project=project, email=outsider.email, role="viewer")
    body = client_for(sharee).get(reverse("project_detail", args=[project.pk])).content.decode()
    assert "shared with you" in body.lower()
    assert outsider.email not in body


# --- Audit log --------------------------------------------------------------------------


def test_audit_log_for_owner_and_admin_only(workspace, project, owner, admin_user, editor, viewer, outsider):
    url = reverse("workspace_audit", args=[workspace.pk])
    for user in (owner, admin_user):
        response = client_for(user).get(url)
        assert response.status_code == 200
        body = response.content.decode()
        assert "Churn" in body and "Created" in body
        assert f'ws-connect="/ws/workspaces/{workspace.pk}/activity/"' in body
    assert client_for(editor).get(url).status_code == 403
    assert client_for(viewer).get(url).status_code == 403
    assert client_for(outsider).get(url).status_code == 404


def test_audit_log_filter_and_changes(workspace, project, owner):
    services.update_project(actor=owner, project=project, name="Churn 2025")
    client = client_for(owner)
    url = reverse("workspace_audit", args=[workspace.pk])
    response = client.get(url, {"action": "update"})
    events = list(response.context["page"].object_list)
    assert [e.action for e in events] == ["update"]
    body = response.content.decode()
    assert "Churn → Churn 2025" in body
    assert "ws-connect" not in body  # live rows belong to the unfiltered first page only
    assert client.get(url, {"action": "bogus", "page": "999"}).status_code == 200


def test_audit_row_oob_partial_renders_one_row(workspace, project):
    from django.template.loader import render_to_string

    event = AuditEvent.objects.filter(workspace=workspace).first()
    html = render_to_string("projects/audit_log.html#audit-row-oob", {"event": event})
    assert 'id="audit-rows"' in html and 'hx-swap-oob="afterbegin"' in html
    assert html.count("<tr") == 1 and event.target_repr in html


# --- Live audit over the WebSocket -----------------------------------------------------


def _connect(workspace_id: int, headers):
    return connect(f"/ws/workspaces/{workspace_id}/activity/", headers)


@pytest.mark.django_db(transaction=True)
def test_admin_receives_new_audit_rows_live(workspace, owner, admin_user):
    headers = ws_headers(admin_user)

    async def scenario():
        from channels.db import database_sync_to_async

        communicator, connected, _ = await _connect(workspace.pk, headers)
        assert connected
        await database_sync_to_async(services.create_project)(actor=owner, workspace=workspace, name="Live one")
        html = await receive_text(communicator)
        await disconnect(communicator)
        return html

    html = async_to_sync(scenario)()
    assert 'hx-swap-oob="afterbegin"' in html and "Live one" in html and "owner@example.com" in html


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["viewer", "editor", "outsider", "anonymous"])
def test_others_are_refused_the_live_audit(workspace, who, request):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    headers = ws_headers(user)

    async def scenario():
        communicator, connected, code = await _connect(workspace.pk, headers)
        await disconnect(communicator)
        return connected, code

    connected, code = async_to_sync(scenario)()
    assert not connected
    assert code == 4403
