"""The bad-input corpus through the API: each refused file gets a 4xx JSON answer with a
readable reason, and leaves nothing behind (no dataset row, no stored file, no temporary
upload) and no other dataset disturbed. Files that are odd but readable are accepted and
processed, with warnings where something was changed."""

from __future__ import annotations

import io
import random
import re
import zipfile
from pathlib import Path

import pytest

from datasets.models import Dataset, DatasetVersion
from tests import factories
from tests.api.conftest import api_url
from tests.conftest import token_client

from . import test_api
from .conftest import ragged_late_csv
from .test_api import post_file, process, stored_files, upload

# The same autouse fixture as the API tests: each test stores files in a media folder of its own.
media = test_api.media

STORAGE_KEY = re.compile(r"^datasets/[0-9a-f]{32}/source\.[a-z]+$")


@pytest.fixture(autouse=True)
def upload_temp_dir(settings, tmp_path) -> Path:
    """Uploads stream to a folder of this test's own, to check nothing is left in it."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


@pytest.fixture
def good(project, owner, media):
    """A ready dataset that no bad upload may disturb, and a snapshot of the stored files."""
    dataset = factories.make_dataset(project, owner, "Good")
    return dataset, stored_files(media)


def assert_good_intact(good, media, client) -> None:
    dataset, files = good
    assert stored_files(media) == files
    version = DatasetVersion.objects.get(pk=dataset.latest_version_id)
    assert (version.status, version.n_rows) == ("ready", 120)
    assert client.get(api_url("dataset-preview", pk=dataset.pk)).json()["total"] == 120


# --- Files refused at once ----------------------------------------------------------------


def xlsx_bomb() -> bytes:
    """A workbook whose sheet is 300 MB of repeated cells, deflated to well under 1 MB."""
    row = b"<row>" + b"<c><v>1</v></c>" * 1000 + b"</row>"
    chunk = row * 70
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b"<worksheet><sheetData>")
            for _ in range(300):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


REFUSED = [
    ("empty", "empty.csv", lambda: b"", "empty"),
    ("blank", "blank.csv", lambda: b"\n\n  \n", "empty"),
    ("header-only", "header.csv", lambda: b"id,name,amount\n", "no data rows"),
    ("binary-garbage", "data.csv", lambda: random.Random(7).randbytes(8192), "not"),
    ("pdf-named-csv", "report.csv", lambda: b"%PDF-1.7\n" + b"x" * 1000, "PDF"),
    ("exe", "setup.exe", lambda: b"MZ" + b"\x00" * 512, ".exe"),
    ("300-character-extension", "a." + "b" * 300, lambda: factories.SAMPLE_CSV.encode(), "not supported"),
    ("ragged", "ragged.csv", lambda: b"a,b,c\n1,2,3\n4,5\n6,7,8\n", "Line 3 has 2 fields"),
    ("xlsx-zip-bomb", "bomb.xlsx", xlsx_bomb, "zip bomb"),
    ("nested-json", "deep.json", lambda: b'[{"a": {"b": {"c": {"d": 1}}}}]', "nest"),
    ("very-deep-json", "deeper.json", lambda: b"[" * 100_000 + b"]" * 100_000, ""),
    ("broken-json", "broken.json", lambda: b'[{"a": 1}, {"a": ', "JSON"),
    ("fake-zip", "data.csv.zip", lambda: b"this is no zip", "zip"),
    ("fake-parquet", "data.parquet", lambda: b"PAR1 but not really", ""),
    ("bad-delimiter-option", "ok.csv", lambda: b"a,b\n1,2\n", "delimiter"),
]


@pytest.mark.parametrize("filename, make_content, reason", [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_refused_uploads_create_nothing(
    project,
    owner,
    good,
    media,
    upload_temp_dir,
    filename,
    make_content,
    reason,
):
    client = token_client(owner)
    options = {"delimiter": "::"} if filename == "ok.csv" else {}

    response = upload(client, project, make_content(), filename, name="Bad", **options)

    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/json"
    messages = response.json().get("file") or response.json().get("delimiter")
    assert messages and all(isinstance(m, str) and len(m) > 10 for m in messages), response.json()
    assert reason.lower() in " ".join(messages).lower(), messages
    assert list(Dataset.all_objects.values_list("name", flat=True)) == ["Good"]
    assert DatasetVersion.objects.count() == 1
    assert list(upload_temp_dir.iterdir()) == []
    assert_good_intact(good, media, client)


def test_a_file_over_the_size_limit_is_a_413(project, owner, good, media, settings, upload_temp_dir):
    settings.DATASET_MAX_UPLOAD_BYTES = 1000
    client = token_client(owner)
    streamed = upload(client, project, "a,b\n" + "1,2\n" * 2000, "big.csv", name="Big")
    # Declared larger than the limit plus the envelope's slack: refused before reading the body.
    declared = upload(client, project, "a,b\n" + "1,2\n" * 300_000, "bigger.csv", name="Bigger")
    version = post_file(
        client, api_url("dataset-version-list", dataset_pk=good[0].pk), "big.csv", "a,b\n" + "1,2\n" * 2000
    )

    for response in (streamed, declared, version):
        assert response.status_code == 413, response.content[:300]
        assert "larger than the" in response.json()["file"][0]
    assert list(Dataset.objects.values_list("name", flat=True)) == ["Good"]
    assert DatasetVersion.objects.count() == 1
    assert list(upload_temp_dir.iterdir()) == []
    settings.DATASET_MAX_UPLOAD_BYTES = 10**9
    assert_good_intact(good, media, client)


# --- Files accepted, with care ---------------------------------------------------------------


def test_ragged_row_beyond_the_sample_fails_in_processing_and_keeps_no_files(project, owner, good, media):
    client = token_client(owner)
    response = upload(client, project, ragged_late_csv(), "late.csv", name="Late")
    assert response.status_code == 201, response.json()

    version = process(response.json()["id"])

    assert version.status == "failed"
    assert "149,000" in version.error and "3 fields but the header has 4" in version.error
    assert (version.raw_key, version.parquet_key, version.profile_key) == ("", "", "")
    assert stored_files(media) == good[1]
    shown = client.get(api_url("dataset-detail", pk=response.json()["id"])).json()
    assert (shown["status"], shown["ready_version"]) == ("failed", None)
    assert "149,000" in shown["error"]
    assert client.get(shown["preview_url"]).status_code == 409
    assert_good_intact(good, media, client)


def test_cp1252_text_is_decoded_with_a_warning(project, owner):
    rows = ["name,city,price"] + [f"José {i},Zürich,{i} €" for i in range(30)]
    content = ("\r\n".join(rows) + "\r\n").encode("cp1252")
    client = token_client(owner)
    response = upload(client, project, content, "legacy.csv")
    assert response.status_code == 201, response.json()

    version = process(response.json()["id"])

    assert version.status == "ready", version.error
    page = client.get(api_url("dataset-preview", pk=response.json()["id"])).json()
    assert page["rows"][0] == ["José 0", "Zürich", "0 €"]
    assert "encoding" in {w["code"] for w in client.get(response.json()["url"]).json()["warnings"]}


def test_duplicate_column_names_are_renamed_with_a_warning(project, owner):
    client = token_client(owner)
    response = upload(client, project, "id,value,value,value\n1,2,3,4\n5,6,7,8\n", "dupes.csv")
    assert response.status_code == 201, response.json()

    version = process(response.json()["id"])

    assert version.status == "ready", version.error
    assert [c["name"] for c in version.columns] == ["id", "value", "value_2", "value_3"]
    warnings = client.get(response.json()["url"]).json()["warnings"]
    assert [w["column"] for w in warnings if w["code"] == "duplicate_column"] == ["value_2", "value_3"]


def test_five_thousand_columns_are_accepted_and_processed(project, owner):
    header = ",".join(f"c{i}" for i in range(5000))
    rows = [",".join(str((r * 7 + i) % 10) for i in range(5000)) for r in range(4)]
    client = token_client(owner)
    response = upload(client, project, "\n".join([header, *rows]) + "\n", "wide.csv")
    assert response.status_code == 201, response.json()

    version = process(response.json()["id"])

    assert version.status == "ready", version.error
    assert (version.n_columns, version.n_rows) == (5000, 4)
    page = client.get(api_url("dataset-preview", pk=response.json()["id"]), {"limit": 2}).json()
    assert len(page["columns"]) == 5000 and len(page["rows"][0]) == 5000


@pytest.mark.parametrize(
    "filename",
    [
        "../../../etc/passwd.csv",
        "..\\..\\windows\\system32.csv",
        "nul\x00byte.csv",
        "x" * 300 + ".csv",
        "über <script>.csv",
    ],
    ids=["dot-dot-slash", "backslashes", "nul-byte", "300-characters", "markup"],
)
def test_hostile_file_names_are_only_labels(project, owner, media, filename):
    response = upload(token_client(owner), project, factories.SAMPLE_CSV, filename)

    assert response.status_code == 201, response.json()
    version = Dataset.objects.get(pk=response.json()["id"]).latest_version
    label = response.json()["file_name"]
    assert label == version.original_name and label.endswith(".csv")
    assert not set(label) & {"/", "\\", "\x00"} and len(label) <= 255
    assert len(response.json()["name"]) <= 200
    assert STORAGE_KEY.match(version.raw_key), version.raw_key
    assert stored_files(media) == [version.raw_key]
    assert not any(part in version.raw_key for part in ("etc", "passwd", "windows", "nul", "xxx", "script"))


def test_a_bad_new_version_is_recorded_as_failed_and_the_old_one_stays_readable(project, owner, good, media):
    dataset = good[0]
    client = token_client(owner)
    url = api_url("dataset-version-list", dataset_pk=dataset.pk)

    response = post_file(client, url, "v2.csv", b"")

    assert response.status_code == 400 and "empty" in response.json()["file"][0]
    failed = DatasetVersion.objects.get(dataset=dataset, number=2)
    assert (failed.status, failed.raw_key) == ("failed", "")
    assert "empty" in failed.error
    assert stored_files(media) == good[1]
    shown = client.get(api_url("dataset-detail", pk=dataset.pk)).json()
    assert (shown["status"], shown["version"], shown["ready_version"]) == ("failed", 2, 1)
    assert "empty" in shown["error"]
    page = client.get(api_url("dataset-preview", pk=dataset.pk)).json()
    assert (page["version"], page["total"]) == (1, 120)
    assert client.get(api_url("dataset-profile", pk=dataset.pk)).json()["version"] == 1
    listed = client.get(url).json()["results"]
    assert [(v["number"], v["status"]) for v in listed] == [(2, "failed"), (1, "ready")]
    assert client.get(api_url("dataset-preview", pk=dataset.pk), {"version": 2}).status_code == 409
