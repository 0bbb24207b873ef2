"""The API permission matrix: every endpoint and method against every role, an outsider, a
sharee (the project is shared with them as viewer) and anonymous.

A new API endpoint without a row here fails `test_every_endpoint_has_a_row`.
"""

from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiToken
from automl_site import api_urls
from datasets import services as dataset_services
from projects.models import Invitation
from tests import factories
from tests.conftest import token_client
from tests.matrix import ROLES, statuses
from training import services as training_services
from training.models import ModelAlias

from .conftest import api_url


@dataclass(frozen=True)
class Row:
    expected: str  # one status per entry of ROLES, space separated
    method: str
    name: str
    kwargs: object = None  # ctx -> URL kwargs
    body: object = None  # a dict, or ctx -> dict
    fmt: str = "json"  # "multipart" for file uploads

    def statuses(self) -> dict[str, int]:
        return statuses(self.expected)

    def request_body(self, ctx):
        return self.body(ctx) if callable(self.body) else self.body


def ws(ctx):
    return {"pk": ctx.workspace.pk}


def ws_child(ctx):
    return {"workspace_pk": ctx.workspace.pk}


def member(ctx):
    return {"workspace_pk": ctx.workspace.pk, "user_id": ctx.target.pk}


def prj(ctx):
    return {"pk": ctx.project.pk}


def prj_child(ctx):
    return {"project_pk": ctx.project.pk}


def own_token(ctx):
    return {"pk": ctx.owner_token.pk}


def invitation(ctx):
    return {"workspace_pk": ctx.workspace.pk, "pk": ctx.invitation.pk}


def share(ctx):
    return {"project_pk": ctx.project.pk, "user_id": ctx.sharee.pk}


def new_project(ctx):
    return {"workspace": ctx.workspace.pk, "name": "P"}


def dset(ctx):
    return {"pk": ctx.dataset.pk}


def dset_child(ctx):
    return {"dataset_pk": ctx.dataset.pk}


def first_version(ctx):
    return {"dataset_pk": ctx.dataset.pk, "number": 1}


def conn(ctx):
    return {"pk": ctx.connection.pk}


def new_dataset(ctx):
    return {"project": ctx.project.pk, "name": "D", "file": factories.uploaded_file("a,b\n1,2\n", "d.csv")}


def new_version(ctx):
    return {"file": factories.uploaded_file("a,b\n1,2\n", "d.csv")}


def sql_import(ctx):
    return {"project": ctx.project.pk, "name": "S", "connection": ctx.connection.pk, "query": "SELECT 1"}


def new_connection(ctx):
    return {"project": ctx.project.pk, "name": "C", "url": "postgresql://u:p@db.example.com/x"}


def job(ctx):
    return {"pk": ctx.job.pk}


def model(ctx):
    return {"pk": ctx.model.pk}


def batch(ctx):
    return {"pk": ctx.batch.pk}


def new_batch(ctx):
    return {"model": ctx.model.pk, "file": factories.uploaded_file(factories.SAMPLE_CSV, "new.csv")}


def model_alias(ctx):
    return {"pk": ctx.model.pk, "alias": "production"}


def new_job(ctx):
    return {"project": ctx.project.pk, "dataset": ctx.dataset.pk, "target": "churned", "time_budget_s": 30}


def advice(ctx):
    return {"dataset": ctx.dataset.pk, "target": "churned"}


def url_test(ctx):
    return {"project": ctx.project.pk, "url": LOCAL_POSTGRES}


LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
INVITE = {"email": "new@example.com", "role": "viewer"}
SHARE = {"email": "stranger@example.com", "role": "viewer"}
TRAFFIC = {"alias": "production", "challenger_alias": "staging", "challenger_percent": 10}


MATRIX = [
    #    owner admin editor viewer outsider sharee anonymous
    Row("200 200 200 200 200 200 401", "get", "me-detail"),
    Row("200 200 200 200 200 200 401", "patch", "me-detail", body={"full_name": "N"}),
    Row("200 200 200 200 200 200 401", "get", "token-list"),
    Row("201 201 201 201 201 201 401", "post", "token-list", body={"name": "t"}),
    Row("204 404 404 404 404 404 401", "delete", "token-detail", own_token),
    Row("200 200 200 200 200 200 401", "get", "workspace-list"),
    Row("201 201 201 201 201 201 401", "post", "workspace-list", body={"name": "W"}),
    Row("200 200 200 200 404 404 401", "get", "workspace-detail", ws),
    Row("200 200 403 403 404 404 401", "patch", "workspace-detail", ws, body={"description": "d"}),
    Row("204 403 403 403 404 404 401", "delete", "workspace-detail", ws),
    Row("400 204 204 204 404 404 401", "post", "workspace-leave", ws),
    Row("200 200 200 200 404 404 401", "get", "workspace-member-list", ws_child),
    Row("201 201 403 403 404 404 401", "post", "workspace-member-list", ws_child, INVITE),
    Row("200 200 403 403 404 404 401", "patch", "workspace-member-detail", member, body={"role": "editor"}),
    Row("204 204 403 403 404 404 401", "delete", "workspace-member-detail", member),
    Row("200 200 403 403 404 404 401", "get", "workspace-invitation-list", ws_child),
    Row("204 204 403 403 404 404 401", "delete", "workspace-invitation-detail", invitation),
    Row("200 200 403 403 404 404 401", "get", "workspace-audit-list", ws_child),
    Row("200 200 200 200 200 200 401", "get", "project-list"),
    Row("201 201 201 400 400 400 401", "post", "project-list", body=new_project),
    Row("200 200 200 200 404 200 401", "get", "project-detail", prj),
    Row("200 200 200 403 404 403 401", "patch", "project-detail", prj, body={"name": "Q"}),
    Row("204 204 403 403 404 403 401", "delete", "project-detail", prj),
    Row("200 200 200 403 404 403 401", "post", "project-archive", prj),
    Row("200 200 200 403 404 403 401", "post", "project-unarchive", prj),
    Row("200 200 403 403 404 403 401", "get", "project-share-list", prj_child),
    Row("201 201 403 403 404 403 401", "post", "project-share-list", prj_child, SHARE),
    Row("204 204 403 403 404 403 401", "delete", "project-share-detail", share),
    Row("200 200 200 200 200 200 401", "get", "dataset-list"),
    Row("201 201 201 400 400 400 401", "post", "dataset-list", body=new_dataset, fmt="multipart"),
    Row("200 200 200 200 404 200 401", "get", "dataset-detail", dset),
    Row("200 200 200 403 404 403 401", "patch", "dataset-detail", dset, body={"description": "d"}),
    Row("204 204 403 403 404 403 401", "delete", "dataset-detail", dset),
    Row("200 200 200 200 404 200 401", "get", "dataset-preview", dset),
    Row("200 200 200 200 404 200 401", "get", "dataset-profile", dset),
    Row(
        "202 202 202 403 404 403 401",
        "patch",
        "dataset-schema",
        dset,
        {"columns": [{"name": "plan", "role": "ignore"}]},
    ),
    Row("201 201 201 400 400 400 401", "post", "dataset-import-sql", body=sql_import),
    Row("200 200 200 200 404 200 401", "get", "dataset-version-list", dset_child),
    Row("201 201 201 403 404 403 401", "post", "dataset-version-list", dset_child, new_version, fmt="multipart"),
    Row("200 200 200 200 404 200 401", "get", "dataset-version-detail", first_version),
    Row("200 200 200 200 200 200 401", "get", "sql-connection-list"),
    Row("201 201 201 400 400 400 401", "post", "sql-connection-list", body=new_connection),
    Row("200 200 200 200 404 200 401", "get", "sql-connection-detail", conn),
    Row("204 204 204 403 404 403 401", "delete", "sql-connection-detail", conn),
    Row("200 200 200 403 404 403 401", "post", "sql-connection-test", conn),
    Row("200 200 200 400 400 400 401", "post", "sql-connection-test-url", body=url_test),
    Row("200 200 200 200 200 200 401", "get", "job-list"),
    Row("201 201 201 400 400 400 401", "post", "job-list", body=new_job),
    Row("200 200 200 200 404 200 401", "get", "job-detail", job),
    Row("200 200 200 403 404 403 401", "post", "job-cancel", job, {"mode": "discard"}),
    Row("200 200 200 200 404 200 401", "get", "job-events", job),
    Row("200 200 200 200 404 200 401", "get", "job-trials", job),
    # The job is queued: its evaluation does not exist yet (409) for everyone who may see it.
    Row("409 409 409 409 404 409 401", "get", "job-evaluation", job),
    Row("200 200 200 400 400 400 401", "post", "job-advice", body=advice),
    # The matrix's job is queued: it has no model to register yet.
    Row("400 400 400 403 404 403 401", "post", "job-register", job),
    Row("200 200 200 200 404 200 401", "get", "job-refits", job),
    Row("200 200 200 200 200 200 401", "get", "model-list"),
    Row("200 200 200 200 404 200 401", "get", "model-detail", model),
    Row("200 200 200 403 404 403 401", "patch", "model-detail", model, {"notes": "For the demo only."}),
    Row("200 200 200 403 404 403 401", "post", "model-aliases", model, {"alias": "staging"}),
    Row("204 204 204 403 404 403 401", "delete", "model-remove-alias", model_alias),
    Row("200 200 200 200 404 200 401", "get", "model-download", model),
    # The matrix's version holds a file that is no model: whoever may predict learns it cannot load (409).
    Row("409 409 409 409 404 409 401", "post", "model-predict", model, {"rows": [{"a": 1}]}),
    Row("409 409 409 409 404 409 401", "post", "project-predict-list", prj_child, {"rows": [{"a": 1}]}),
    Row("200 200 200 200 404 200 401", "get", "project-traffic-list", prj_child),
    Row("200 200 200 200 200 200 401", "get", "batch-prediction-list"),
    Row("200 200 200 200 404 200 401", "get", "batch-prediction-detail", batch),
    Row("200 200 200 200 404 200 401", "get", "batch-prediction-download", batch),
    # Whoever may use the model may score a file; an outsider's model id is just invalid.
    Row("202 202 202 202 400 202 401", "post", "batch-prediction-list", None, new_batch, "multipart"),
    Row("204 204 204 403 404 403 401", "delete", "batch-prediction-detail", batch),
    Row("200 200 200 403 404 403 401", "post", "project-traffic-list", prj_child, TRAFFIC),
    Row("200 200 200 200 200 200 401", "get", "algorithm-list"),
    Row("200 200 200 200 200 200 401", "get", "algorithm-detail", kwargs=lambda ctx: {"pk": "kmeans"}),
]


def _endpoints_in_urlconf() -> set[tuple[str, str]]:
    found = set()
    for pattern in api_urls.urlpatterns:
        view = pattern.callback
        allowed = set(view.cls.http_method_names) - {"head", "options"}
        found |= {(pattern.name, method) for method in view.actions if method in allowed}
    return found


def test_every_endpoint_has_a_row():
    assert {(row.name, row.method) for row in MATRIX} == _endpoints_in_urlconf()


@pytest.fixture
def ctx(owner, workspace, project, sharee):
    target = factories.make_user("target@example.com")
    factories.add_member(workspace, target, "viewer")
    factories.make_user("stranger@example.com")
    invitation, _ = Invitation.new(workspace=workspace, email="invitee@example.com", role="viewer", invited_by=owner)
    owner_token, _ = ApiToken.issue(user=owner, name="owner's")
    dataset = factories.make_dataset(project, owner, "Customers")
    connection = dataset_services.create_connection(actor=owner, project=project, name="PG", url=LOCAL_POSTGRES)
    job = training_services.create_job(
        actor=owner, project=project, dataset=dataset, target="churned", time_budget_s=20
    )
    version = factories.make_model_version(job, owner)
    ModelAlias.objects.create(project=project, name="production", version=version, updated_by=owner)
    return SimpleNamespace(
        model=version,
        batch=factories.make_batch(version, owner),
        job=job,
        dataset=dataset,
        connection=connection,
        workspace=workspace,
        project=project,
        sharee=sharee,
        target=target,
        invitation=invitation,
        owner_token=owner_token,
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", MATRIX, ids=lambda row: f"{row.method}:{row.name}")
def test_matrix(row, role, ctx, request, admin_user, editor, viewer, outsider):
    client = APIClient() if role == "anonymous" else token_client(request.getfixturevalue(role))
    url = api_url(row.name, **(row.kwargs(ctx) if row.kwargs else {}))
    response = getattr(client, row.method)(url, row.request_body(ctx), format=row.fmt)
    expected = row.statuses()[role]
    assert response.status_code == expected, (row.method, url, role, response.content[:300])
    if expected == 401:
        assert response["WWW-Authenticate"] == "Bearer"
