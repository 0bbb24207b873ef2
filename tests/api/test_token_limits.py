"""The API permission matrix again, with the owner's limited tokens: read only, read and predict,
limited to the matrix's project, and limited to another project of the same workspace.

A read-only token gets what the owner gets on every GET and a 403 on everything else; a predict
token also predicts. A token limited to the matrix's project acts as the owner there but cannot
change anything above the project (account, tokens, workspaces); one limited to another project
sees the matrix's project as an outsider would, its workspace only to read."""

import pytest

from accounts.models import ApiToken
from tests import factories
from tests.conftest import token_client

from .conftest import api_url
from .test_permission_matrix import MATRIX, ctx  # noqa: F401 - ctx is the matrix's fixture

PREDICTING = {("post", "model-predict"), ("post", "project-predict-list"), ("post", "batch-prediction-list")}

# Rows above the project: a limited token may only read them.
ABOVE = {
    ("patch", "me-detail"): 403,
    ("post", "token-list"): 403,
    ("delete", "token-detail"): 403,
    ("post", "workspace-list"): 403,
    ("patch", "workspace-detail"): 403,
    ("delete", "workspace-detail"): 403,
    ("post", "workspace-leave"): 403,
    ("post", "workspace-member-list"): 403,
    ("patch", "workspace-member-detail"): 403,
    ("delete", "workspace-member-detail"): 403,
    ("delete", "workspace-invitation-detail"): 403,
    # Reading invitations and the audit log is administration, not viewing.
    ("get", "workspace-invitation-list"): 403,
    ("get", "workspace-audit-list"): 403,
    # Creating a project is a change to the workspace.
    ("post", "project-list"): 400,
}
# The other project's token still reads the workspace they share.
SAME_WORKSPACE = {
    ("get", "workspace-detail"): 200,
    ("get", "workspace-member-list"): 200,
}


def expected(row, kind: str) -> int:
    owner = row.statuses()["owner"]
    key = (row.method, row.name)
    if kind == "read":
        return owner if row.method == "get" else 403
    if kind == "predict":
        return owner if row.method == "get" or key in PREDICTING else 403
    if kind == "here":
        return ABOVE.get(key, owner)
    return ABOVE.get(key) or SAME_WORKSPACE.get(key) or row.statuses()["outsider"]


def limited_token(matrix, owner, kind: str):
    if kind in ("read", "predict"):
        return ApiToken.issue(user=owner, name=kind, scope=kind)[1]
    project = matrix.project if kind == "here" else factories.make_project(matrix.workspace, owner, "Elsewhere")
    return ApiToken.issue(user=owner, name=kind, project=project)[1]


@pytest.mark.parametrize("kind", ["read", "predict", "here", "elsewhere"])
@pytest.mark.parametrize("row", MATRIX, ids=lambda row: f"{row.method}:{row.name}")
def test_limited_tokens(row, kind, ctx, owner):  # noqa: F811
    client = token_client(owner)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {limited_token(ctx, owner, kind)}")
    url = api_url(row.name, **(row.kwargs(ctx) if row.kwargs else {}))
    response = getattr(client, row.method)(url, row.request_body(ctx), format=row.fmt)
    assert response.status_code == expected(row, kind), (kind, row.method, url, response.content[:300])


def test_a_token_limited_to_a_project_lists_only_that_project(ctx, owner):  # noqa: F811
    other = factories.make_project(ctx.workspace, owner, "Elsewhere")
    client = token_client(owner)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user=owner, name='x', project=other)[1]}")
    assert [p["id"] for p in client.get(api_url("project-list")).json()["results"]] == [other.pk]
    assert client.get(api_url("model-list")).json()["results"] == []
    assert client.get(api_url("dataset-list")).json()["results"] == []


def test_refusals_say_why(ctx, owner):  # noqa: F811
    client = token_client(owner)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user=owner, name='r', scope='read')[1]}")
    response = client.patch(api_url("project-detail", pk=ctx.project.pk), {"name": "Q"}, format="json")
    assert response.status_code == 403 and response.json()["detail"] == "This token is read-only."
    response = client.post(api_url("token-list"), {"name": "broader"}, format="json")
    assert response.status_code == 403 and "limited token cannot change" in response.json()["detail"]
