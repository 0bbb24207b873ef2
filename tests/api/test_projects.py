"""Projects and project shares through the API."""

from projects.models import Project
from projects.permissions import share_role
from tests import factories

from .conftest import api_url

PROJECT_FIELDS = {
    "id",
    "workspace",
    "name",
    "description",
    "problem_type",
    "target_column",
    "status",
    "dataset_count",
    "job_count",
    "model_count",
    "created_by",
    "created_at",
    "updated_at",
    "access",
}


def test_create_project_with_a_token(workspace, editor, as_user):
    payload = {"workspace": workspace.pk, "name": "Churn v2", "problem_type": "classification"}
    response = as_user(editor).post(api_url("project-list"), payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == PROJECT_FIELDS
    assert (body["workspace"], body["name"], body["problem_type"], body["status"]) == (
        workspace.pk,
        "Churn v2",
        "classification",
        "active",
    )
    assert (body["created_by"], body["access"], body["dataset_count"]) == ("editor@example.com", "editor", 0)
    assert Project.objects.get(pk=body["id"]).workspace == workspace


def test_create_project_defaults_and_validation(workspace, owner, as_user):
    client = as_user(owner)
    response = client.post(api_url("project-list"), {"workspace": workspace.pk, "name": "Minimal"}, format="json")
    assert response.status_code == 201
    assert response.json()["problem_type"] == "auto"
    for payload, field in [
        ({"name": "No workspace"}, "workspace"),
        ({"workspace": workspace.pk}, "name"),
        ({"workspace": workspace.pk, "name": "   "}, "name"),
        ({"workspace": workspace.pk, "name": "P", "problem_type": "astrology"}, "problem_type"),
        ({"workspace": workspace.pk, "name": "x" * 121}, "name"),
        ({"workspace": workspace.pk, "name": "P", "target_column": "c" * 256}, "target_column"),
    ]:
        response = client.post(api_url("project-list"), payload, format="json")
        assert response.status_code == 400, payload
        assert field in response.json(), (payload, response.json())


def test_cannot_create_in_a_workspace_you_cannot_see_or_create_in(workspace, viewer, outsider, as_user):
    payload = {"workspace": workspace.pk, "name": "Sneaky"}
    response = as_user(outsider).post(api_url("project-list"), payload, format="json")
    assert response.status_code == 400
    assert "Invalid pk" in response.json()["workspace"][0]
    # A workspace that does not exist gets exactly the same answer: existence does not leak.
    missing = as_user(outsider).post(api_url("project-list"), {"workspace": 999999, "name": "X"}, format="json")
    assert missing.json()["workspace"][0].replace("999999", str(workspace.pk)) == response.json()["workspace"][0]
    # A viewer sees the workspace, so they are told why instead.
    refused = as_user(viewer).post(api_url("project-list"), payload, format="json")
    assert refused.status_code == 400
    assert "role does not allow" in refused.json()["workspace"][0]
    assert not Project.objects.filter(name="Sneaky").exists()


def test_list_filter_search_order(workspace, owner, outsider, project, as_user):
    other = factories.make_workspace(owner, "Second")
    factories.make_project(other, owner, "Fraud", problem_type="classification")
    factories.make_project(workspace, owner, "House prices", problem_type="regression")
    factories.make_project(outsider.workspaces.get(), outsider, "Not yours")
    client = as_user(owner)

    def names(**params):
        response = client.get(api_url("project-list"), params)
        assert response.status_code == 200, response.json()
        return [p["name"] for p in response.json()["results"]]

    assert sorted(names()) == ["Churn", "Fraud", "House prices"]
    assert sorted(names(workspace=workspace.pk)) == ["Churn", "House prices"]
    assert names(workspace=outsider.workspaces.get().pk) == []
    assert sorted(names(problem_type="classification")) == ["Churn", "Fraud"]
    assert names(search="hou") == ["House prices"]
    assert names(ordering="name") == ["Churn", "Fraud", "House prices"]
    assert names(ordering="-name") == ["House prices", "Fraud", "Churn"]
    client.post(api_url("project-archive", pk=project.pk))
    assert names(status="archived") == ["Churn"]


def test_list_pagination_shape(workspace, owner, as_user):
    for i in range(51):
        Project.objects.create(workspace=workspace, name=f"P{i:02}", created_by=owner)
    client = as_user(owner)
    first = client.get(api_url("project-list")).json()
    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 51 and len(first["results"]) == 50 and first["previous"] is None
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None


def test_project_detail_and_roles(workspace, project, viewer, editor, outsider, as_user):
    url = api_url("project-detail", pk=project.pk)
    assert as_user(outsider).get(url).status_code == 404
    assert as_user(viewer).get(url).json()["access"] == "viewer"
    assert as_user(viewer).patch(url, {"name": "Renamed"}, format="json").status_code == 403
    assert as_user(outsider).patch(url, {"name": "Renamed"}, format="json").status_code == 404
    response = as_user(editor).patch(url, {"name": "Renamed", "target_column": "left"}, format="json")
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["target_column"]) == ("Renamed", "left")


def test_workspace_of_a_project_cannot_be_changed(workspace, owner, project, as_user):
    other = factories.make_workspace(owner, "Elsewhere")
    url = api_url("project-detail", pk=project.pk)
    response = as_user(owner).patch(url, {"workspace": other.pk}, format="json")
    assert response.status_code == 200
    project.refresh_from_db()
    assert project.workspace == workspace


def test_archive_unarchive_and_soft_delete(project, owner, editor, as_user):
    client = as_user(editor)
    assert client.post(api_url("project-archive", pk=project.pk)).json()["status"] == "archived"
    assert client.post(api_url("project-unarchive", pk=project.pk)).json()["status"] == "active"
    url = api_url("project-detail", pk=project.pk)
    assert client.delete(url).status_code == 403
    assert as_user(owner).delete(url).status_code == 204
    assert Project.all_objects.get(pk=project.pk).deleted_at is not None
    assert as_user(owner).get(url).status_code == 404


def test_sharee_sees_only_the_shared_project(workspace, owner, project, sharee, as_user):
    factories.make_project(workspace, owner, "Private")
    client = as_user(sharee)
    rows = client.get(api_url("project-list")).json()["results"]
    assert [(r["name"], r["access"]) for r in rows] == [("Churn", "shared-viewer")]
    assert client.patch(api_url("project-detail", pk=project.pk), {"name": "X"}, format="json").status_code == 403
    assert client.get(api_url("workspace-detail", pk=workspace.pk)).status_code == 404


# --- Shares ---------------------------------------------------------------------------


def test_shares_list_add_remove(workspace, owner, admin_user, editor, project, sharee, as_user):
    stranger = factories.make_user("stranger@example.com", full_name="Stan Stranger")
    url = api_url("project-share-list", project_pk=project.pk)
    assert as_user(editor).get(url).status_code == 403

    client = as_user(admin_user)
    assert [(s["email"], s["role"]) for s in client.get(url).json()["results"]] == [("sharee@example.com", "viewer")]

    response = client.post(url, {"email": "Stranger@example.com", "role": "editor"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json() == {
        "user": stranger.pk,
        "email": "stranger@example.com",
        "full_name": "Stan Stranger",
        "role": "editor",
    }
    assert share_role(stranger, project) == "editor"
    assert as_user(stranger).get(api_url("project-detail", pk=project.pk)).json()["access"] == "shared-editor"

    detail = api_url("project-share-detail", project_pk=project.pk, user_id=sharee.pk)
    assert as_user(sharee).delete(detail).status_code == 403
    assert client.delete(detail).status_code == 204
    assert as_user(sharee).get(api_url("project-detail", pk=project.pk)).status_code == 404
    assert client.delete(detail).status_code == 404


def test_share_validation(workspace, owner, editor, project, as_user):
    factories.make_user("stranger@example.com")
    url = api_url("project-share-list", project_pk=project.pk)
    client = as_user(owner)
    for payload, field in [
        ({"email": "stranger@example.com", "role": "owner"}, "role"),
        ({"email": "nobody@example.com", "role": "viewer"}, "email"),
        ({"email": editor.email, "role": "viewer"}, "email"),
        ({"email": "stranger@example.com"}, "role"),
        ({"role": "viewer"}, "email"),
    ]:
        response = client.post(url, payload, format="json")
        assert response.status_code == 400, payload
        assert field in response.json(), (payload, response.json())
