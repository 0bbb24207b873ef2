"""Nothing a user uploads is ever unpickled: a pickle whose loading would create a sentinel file
is uploaded under the names a user might give it, processed as the worker would, and the sentinel
never appears (the upload is refused, or read as data, never loaded as Python objects)."""

import pickle

import pytest

from tests import factories
from tests.conftest import token_client

from .test_api import latest, media, upload  # noqa: F401 - the fixture and the helpers


class _Trap:
    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        # Unpickling this calls open(path, "w"): the file appears only if someone unpickles it.
        return (open, (self.path, "w"))


@pytest.mark.parametrize("filename", ["model.pkl", "model.joblib", "data.csv", "data.parquet", "data.json"])
def test_an_uploaded_pickle_never_runs(project, editor, media, tmp_path, filename):  # noqa: F811
    sentinel = tmp_path / "unpickled"
    blob = pickle.dumps(_Trap(str(sentinel)))
    pickle.loads(pickle.dumps(_Trap(str(tmp_path / "control"))))  # the trap works when unpickled
    assert (tmp_path / "control").exists()
    response = upload(token_client(editor), project, blob, filename)
    if response.status_code == 201:
        factories.process_now(latest(response.json()["id"]))
    else:
        assert response.status_code == 400, response.content
    assert not sentinel.exists()
