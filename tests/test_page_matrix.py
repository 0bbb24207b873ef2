"""The permission matrix of the pages: every HTML URL against every role of a workspace, an
outsider (member of another workspace only), a sharee (the project is shared with them as
viewer through django-guardian) and anonymous, asserting the exact status.

`test_every_route_is_in_a_matrix` fails when a URL is added without a row here (pages), in
tests/api/test_permission_matrix.py (API), or in the list of routes we do not own.
"""

from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import ApiToken
from automl_site.routing import websocket_urlpatterns
from datasets import services as dataset_services
from projects import services
from projects.models import Invitation
from training import services as training_services
from training.models import ModelAlias

from . import factories
from .matrix import statuses


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    expected: str  # one status per entry of ROLES
    kwargs: object = None  # ctx -> URL kwargs
    data: object = None  # dict or ctx -> dict

    def statuses(self) -> dict[str, int]:
        return statuses(self.expected)


def ws(ctx):
    return {"pk": ctx.workspace.pk}


def prj(ctx):
    return {"pk": ctx.project.pk}


def target_member(ctx):
    return {"pk": ctx.workspace.pk, "member_pk": ctx.target_membership.pk}


def pending_invitation(ctx):
    return {"pk": ctx.workspace.pk, "inv_pk": ctx.invitation.pk}


def invitation_link(ctx):
    return {"token": ctx.invitation_token}


def outsiders_invitation(ctx):
    return {"pk": ctx.outsider_invitation.pk}


def sharee(ctx):
    return {"pk": ctx.project.pk, "user_pk": ctx.sharee.pk}


def confirm_name(ctx):
    return {"confirm_name": ctx.workspace.name}


def owners_token(ctx):
    return {"pk": ctx.owner_token.pk}


def dset(ctx):
    return {"pk": ctx.dataset.pk}


def conn(ctx):
    return {"pk": ctx.connection.pk}


def upload_form(ctx):
    return {"name": "Uploaded", "file": factories.uploaded_file("a,b\n1,2\n", "d.csv")}


def version_form(ctx):
    return {"file": factories.uploaded_file("a,b\n1,2\n", "d.csv")}


def sql_form(ctx):
    return {"name": "From SQL", "connection": ctx.connection.pk, "query": "SELECT 1 AS a"}


def connection_test_form(ctx):
    return {"connection": ctx.connection.pk}


def job(ctx):
    return {"pk": ctx.job.pk}


def model(ctx):
    return {"pk": ctx.model.pk}


def batch(ctx):
    return {"pk": ctx.batch.pk}


def batch_upload(ctx):
    return {"file": factories.uploaded_file(factories.SAMPLE_CSV, "new.csv"), "output_format": "csv"}


def job_form(ctx):
    return {
        "dataset": ctx.dataset.pk,
        "target": "churned",
        "problem_type": "auto",
        "time_budget_s": "30",
        "validation": "kfold",
        "folds": "5",
        "test_fraction": "0.2",
        "seed": "0",
        "balance": "auto",
    }


def advice_query(ctx):
    return {"dataset": ctx.dataset.pk, "target": "churned"}


LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
SHARE_FORM = {"email": "stranger@example.com", "role": "viewer"}
PROJECT_FORM = {"name": "Renamed", "description": "", "problem_type": "regression", "target_column": ""}

#                                                      owner admin editor viewer outsider sharee anonymous
ROWS = [
    Row("dashboard", "get", "200 200 200 200 200 200 302"),
    Row("account_home", "get", "302 302 302 302 302 302 302"),
    Row("profile", "get", "200 200 200 200 200 200 302"),
    Row("profile", "post", "302 302 302 302 302 302 302", data={"full_name": "N", "theme": "dark", "timezone": "UTC"}),
    Row("tokens", "get", "200 200 200 200 200 200 302"),
    Row("tokens", "post", "200 200 200 200 200 200 302", data={"name": "ci", "expires_in": "30"}),
    Row("token_revoke", "post", "302 404 404 404 404 404 302", owners_token),
    Row("workspace_list", "get", "200 200 200 200 200 200 302"),
    Row("workspace_create", "get", "200 200 200 200 200 200 302"),
    Row("workspace_create", "post", "302 302 302 302 302 302 302", data={"name": "New one", "description": ""}),
    Row("workspace_detail", "get", "200 200 200 200 404 404 302", ws),
    Row("workspace_switch", "post", "302 302 302 302 404 404 302", ws),
    Row("workspace_settings", "get", "200 200 200 200 404 404 302", ws),
    Row("workspace_settings", "post", "302 302 403 403 404 404 302", ws, {"name": "Renamed", "description": ""}),
    Row("workspace_delete", "post", "302 403 403 403 404 404 302", ws, confirm_name),
    # The owner is the last owner: refused with a message, not allowed to orphan the workspace.
    Row("workspace_leave", "post", "400 302 302 302 404 404 302", ws),
    Row("workspace_audit", "get", "200 200 403 403 404 404 302", ws),
    Row("workspace_members", "get", "200 200 200 200 404 404 302", ws),
    Row("member_role", "post", "302 302 403 403 404 404 302", target_member, {"role": "viewer"}),
    Row("member_remove", "post", "302 302 403 403 404 404 302", target_member),
    Row("invitation_create", "post", "302 302 403 403 404 404 302", ws, {"email": "new@example.com", "role": "viewer"}),
    Row("invitation_revoke", "post", "302 302 403 403 404 404 302", pending_invitation),
    # The link itself is the credential: anyone holding it may see whom it invites.
    Row("invitation_accept", "get", "200 200 200 200 200 200 200", invitation_link),
    Row("invitation_accept_own", "post", "404 404 404 404 302 404 302", outsiders_invitation),
    Row("project_create", "get", "200 200 200 403 404 404 302", ws),
    Row("project_create", "post", "302 302 302 403 404 404 302", ws, PROJECT_FORM),
    Row("project_detail", "get", "200 200 200 200 404 200 302", prj),
    Row("project_edit", "get", "200 200 200 403 404 403 302", prj),
    Row("project_edit", "post", "302 302 302 403 404 403 302", prj, PROJECT_FORM),
    Row("project_archive", "post", "302 302 302 403 404 403 302", prj, {"archived": "1"}),
    Row("project_delete", "post", "302 302 403 403 404 403 302", prj),
    Row("project_sharing", "get", "200 200 403 403 404 403 302", prj),
    Row("project_sharing", "post", "302 302 403 403 404 403 302", prj, SHARE_FORM),
    Row("project_unshare", "post", "302 302 403 403 404 403 302", sharee),
    Row("dataset_list", "get", "200 200 200 200 404 200 302", prj),
    Row("dataset_upload", "get", "200 200 200 403 404 403 302", prj),
    Row("dataset_upload", "post", "302 302 302 403 404 403 302", prj, upload_form),
    Row("dataset_import_sql", "get", "200 200 200 403 404 403 302", prj),
    Row("dataset_import_sql", "post", "302 302 302 403 404 403 302", prj, sql_form),
    Row("sql_connection_create", "post", "302 302 302 403 404 403 302", prj, {"name": "Other", "url": LOCAL_POSTGRES}),
    Row("sql_connection_test", "post", "200 200 200 403 404 403 302", prj, connection_test_form),
    Row("sql_connection_delete", "post", "302 302 302 403 404 403 302", conn),
    Row("dataset_new_version", "get", "200 200 200 403 404 403 302", dset),
    Row("dataset_new_version", "post", "302 302 302 403 404 403 302", dset, version_form),
    Row("dataset_versions", "get", "200 200 200 200 404 200 302", dset),
    Row("dataset_progress", "get", "200 200 200 200 404 200 302", dset),
    Row("dataset_edit", "get", "200 200 200 403 404 403 302", dset),
    Row("dataset_edit", "post", "302 302 302 403 404 403 302", dset, {"name": "Renamed", "description": ""}),
    Row("dataset_delete", "post", "302 302 403 403 404 403 302", dset),
    Row("dataset_detail", "get", "200 200 200 200 404 200 302", dset),
    Row("dataset_rows", "get", "200 200 200 200 404 200 302", dset),
    Row("dataset_schema", "get", "200 200 200 200 404 200 302", dset),
    Row("dataset_schema", "post", "302 302 302 403 404 403 302", dset, {"col-0-name": "plan", "col-0-role": "ignore"}),
    Row("dataset_profile", "get", "200 200 200 200 404 200 302", dset),
    Row("dataset_charts", "get", "200 200 200 200 404 200 302", dset),
    Row("job_list", "get", "200 200 200 200 404 200 302", prj),
    Row("job_create", "get", "200 200 200 403 404 403 302", prj),
    Row("job_create", "post", "302 302 302 403 404 403 302", prj, job_form),
    Row("job_advice", "get", "200 200 200 403 404 403 302", prj, advice_query),
    Row("job_detail", "get", "200 200 200 200 404 200 302", job),
    Row("job_live", "get", "200 200 200 200 404 200 302", job),
    Row("job_log", "get", "200 200 200 200 404 200 302", job),
    Row("job_cancel", "post", "302 302 302 403 404 403 302", job, {"mode": "keep"}),
    Row("job_evaluation", "get", "200 200 200 200 404 200 302", job),
    Row("job_compare", "get", "200 200 200 200 404 200 302", job),
    Row("job_register", "post", "302 302 302 403 404 403 302", job),
    Row("model_list", "get", "200 200 200 200 404 200 302", prj),
    Row("model_traffic", "post", "302 302 302 403 404 403 302", prj, {"alias": "production"}),
    Row("model_detail", "get", "200 200 200 200 404 200 302", model),
    Row("model_notes", "post", "302 302 302 403 404 403 302", model, {"notes": "For the demo."}),
    Row("model_alias", "post", "302 302 302 403 404 403 302", model, {"alias": "staging"}),
    Row("model_alias_remove", "post", "302 302 302 403 404 403 302", model, {"alias": "production"}),
    Row("model_download", "get", "200 200 200 200 404 200 302", model),
    Row("model_predict", "get", "200 200 200 200 404 200 302", model),
    # The matrix's version holds a file that is no model: the form says so (400) to whoever may use it.
    Row("model_predict", "post", "400 400 400 400 404 400 302", model, {}),
    Row("model_batch", "get", "200 200 200 200 404 200 302", model),
    Row("model_batch", "post", "302 302 302 302 404 302 302", model, batch_upload),
    Row("batch_detail", "get", "200 200 200 200 404 200 302", batch),
    Row("batch_download", "get", "200 200 200 200 404 200 302", batch),
    Row("batch_delete", "post", "302 302 302 403 404 403 302", batch),
    Row("algorithm_list", "get", "200 200 200 200 200 200 302"),
    Row("health", "get", "200 200 200 200 200 200 200"),
    Row("api-schema", "get", "200 200 200 200 200 200 200"),
    Row("api-docs", "get", "200 200 200 200 200 200 200"),
    Row("api-redoc", "get", "200 200 200 200 200 200 200"),
]

# Routes we do not own, and where their access is tested instead.
NOT_OURS = {
    "admin": "Django admin: PolicyAdminMixin applies the policy; tests/admin/test_admin.py",
    "allauth": "sign-up, log-in, password and email pages: public by nature; tests/accounts/test_pages.py",
}


def _cases():
    for row in ROWS:
        for role, status in row.statuses().items():
            yield pytest.param(row, role, status, id=f"{row.method}:{row.name}:{role}")


@pytest.fixture
def ctx(owner, workspace, admin_user, editor, viewer, outsider, project, sharee):
    target = factories.make_user("target@example.com")
    target_membership = factories.add_member(workspace, target, "editor")
    factories.make_user("stranger@example.com")
    invitation, raw = services.invite_member(actor=owner, workspace=workspace, email="new@example.org", role="viewer")
    outsider_invitation, _ = Invitation.new(workspace=workspace, email=outsider.email, role="viewer", invited_by=owner)
    owner_token, _ = ApiToken.issue(user=owner, name="owner's")
    dataset = factories.make_dataset(project, owner, "Customers")
    connection = dataset_services.create_connection(actor=owner, project=project, name="PG", url=LOCAL_POSTGRES)
    job = training_services.create_job(
        actor=owner, project=project, dataset=dataset, target="churned", time_budget_s=20
    )
    version = factories.make_model_version(job, owner)
    ModelAlias.objects.create(project=project, name="production", version=version, updated_by=owner)
    users = {"owner": owner, "admin_user": admin_user, "editor": editor, "viewer": viewer}
    users |= {"outsider": outsider, "sharee": sharee, "anonymous": None}
    return SimpleNamespace(
        dataset=dataset,
        connection=connection,
        job=job,
        model=version,
        batch=factories.make_batch(version, owner),
        workspace=workspace,
        project=project,
        target_membership=target_membership,
        sharee=sharee,
        invitation=invitation,
        invitation_token=raw,
        outsider_invitation=outsider_invitation,
        owner_token=owner_token,
        users=users,
    )


@pytest.mark.parametrize("row, role, expected", list(_cases()))
def test_matrix(row, role, expected, ctx):
    client = Client()
    user = ctx.users[role]
    if user is not None:
        client.force_login(user)
    url = reverse(row.name, kwargs=row.kwargs(ctx) if row.kwargs else None)
    data = row.data(ctx) if callable(row.data) else (row.data or {})
    response = getattr(client, row.method)(url, data)
    assert response.status_code == expected, f"{row.method.upper()} {url} as {role}"
    if role == "anonymous" and expected == 302 and row.name != "account_home":
        assert response["Location"].startswith(reverse("account_login"))


def _urlconf(resolver: URLResolver) -> str:
    conf = resolver.urlconf_name
    return conf if isinstance(conf, str) else getattr(conf, "__name__", "")


def _walk(patterns, namespace="", source=""):
    """(namespace, pattern, the urlconf module that included it) for every route."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, inner, _urlconf(pattern) or source)
        elif isinstance(pattern, URLPattern):
            yield namespace, pattern, source


def test_every_route_is_in_a_matrix():
    from tests.api.test_permission_matrix import MATRIX as API_ROWS

    page_names = {row.name for row in ROWS}
    api_names = {row.name for row in API_ROWS}
    missing = []
    for namespace, pattern, source in _walk(get_resolver().url_patterns):
        if namespace.startswith("admin:") or source.startswith("allauth"):
            continue
        if namespace.startswith("api:"):
            if pattern.name not in api_names:
                missing.append(f"api:{pattern.name}")
        elif pattern.name not in page_names:
            missing.append(pattern.name or str(pattern.pattern))
    assert not missing, f"Routes without a row in a permission matrix: {missing}"


def test_every_websocket_route_is_tested():
    # Each WebSocket route is covered role by role: the audit log in tests/projects/test_pages.py,
    # dataset progress in tests/datasets/test_progress_socket.py, a job's live view in
    # tests/training/test_live_socket.py.
    assert [p.name for p in websocket_urlpatterns] == ["ws_workspace_activity", "ws_dataset_progress", "ws_job"]
