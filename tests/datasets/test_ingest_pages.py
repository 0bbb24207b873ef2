"""The dataset ingestion pages through the Django test client: uploading (good and bad files),
new versions, the versions and list pages, deleting, and importing with SQL from this
machine's PostgreSQL. Processing runs in-process with `process_now` where a test needs it."""

import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from datasets.models import Dataset, DatasetVersion, SqlConnection
from tests.factories import SAMPLE_CSV, make_dataset, process_now

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def login(client, user):
    client.force_login(user)
    return client


def csv_file(name="customers.csv", content=SAMPLE_CSV):
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/csv")


def upload(client, project, file, **data):
    return client.post(reverse("dataset_upload", args=[project.pk]), {"file": file, "name": "", **data})


def text(response) -> str:
    """The page as a reader sees it: tags dropped, entities and spaces normalised."""
    html = response.content.decode()
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    plain = re.sub(r"<[^>]+>", " ", html)
    plain = plain.replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<")
    return " ".join(plain.split())


# --- Uploading a new dataset ------------------------------------------------------------


def test_upload_form_page_offers_the_drop_zone_and_reading_options(owner_client, project):
    response = owner_client.get(reverse("dataset_upload", args=[project.pk]))
    assert response.status_code == 200
    page = text(response)
    assert "Drag a file here" in page and "Reading options" in page
    assert 'enctype="multipart/form-data"' in response.content.decode()


def test_uploading_a_csv_creates_the_dataset_and_opens_its_page(owner_client, project):
    response = upload(owner_client, project, csv_file("customers.csv"))

    dataset = Dataset.objects.get(project=project)
    assert response.status_code == 302
    assert response["Location"] == reverse("dataset_detail", args=[dataset.pk])
    assert dataset.name == "customers"  # the file name's stem
    version = dataset.latest_version
    assert version.status == DatasetVersion.Status.PROCESSING
    assert version.original_name == "customers.csv"
    # Stored under a key the server chose, not under the user's name.
    assert version.raw_key.startswith(version.storage_prefix) and "customers" not in version.raw_key
    assert default_storage.exists(version.raw_key)

    process_now(version)
    assert version.status == DatasetVersion.Status.READY and version.n_rows == 120


def test_an_htmx_upload_answers_with_a_client_redirect(owner_client, project):
    response = owner_client.post(
        reverse("dataset_upload", args=[project.pk]),
        {"file": csv_file(), "name": "Customers 2024"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="upload-form",
    )
    dataset = Dataset.objects.get(project=project)
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("dataset_detail", args=[dataset.pk])
    assert dataset.name == "Customers 2024"


def test_reading_options_reach_the_version(owner_client, project):
    content = "a;b\n1,5;x\n2,5;y\n"
    upload(owner_client, project, csv_file("semi.csv", content), delimiter=";", decimal=",", encoding="utf-8")
    version = Dataset.objects.get(project=project).latest_version
    assert version.read_options == {"delimiter": ";", "decimal": ",", "encoding": "utf-8"}
    process_now(version)
    assert version.status == DatasetVersion.Status.READY
    assert [c["name"] for c in version.columns] == ["a", "b"]


BAD_FILES = [
    pytest.param(b"", "empty.csv", "The file is empty", id="empty"),
    pytest.param(bytes(range(256)) * 40, "garbage.csv", "binary data", id="binary-garbage"),
    pytest.param(b"MZ\x90\x00\x03" + bytes(200), "setup.exe", "'.exe' files are not supported", id="exe"),
    pytest.param(b"%PDF-1.7 not a table", "report.csv", "looks like a PDF document", id="pdf-named-csv"),
]


@pytest.mark.parametrize("content,name,message", BAD_FILES)
def test_a_refused_file_shows_why_and_creates_nothing(owner_client, project, media, content, name, message):
    response = upload(owner_client, project, csv_file(name, content))

    assert response.status_code == 400
    assert message in text(response)
    assert not Dataset.all_objects.filter(project=project).exists()
    assert not DatasetVersion.objects.exists()
    assert not list(media.rglob("source.*"))


@pytest.mark.parametrize("content,name,message", BAD_FILES[:2])
def test_a_refused_file_through_htmx_swaps_the_form_with_the_message(owner_client, project, content, name, message):
    response = owner_client.post(
        reverse("dataset_upload", args=[project.pk]),
        {"file": csv_file(name, content), "name": ""},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="upload-form",
    )
    assert response.status_code == 200
    assert message in text(response)
    assert "<html" not in response.content.decode()  # the form fragment only
    assert "data-upload" in response.content.decode()
    assert not Dataset.objects.exists()


def test_a_missing_file_is_asked_for(owner_client, project):
    response = owner_client.post(reverse("dataset_upload", args=[project.pk]), {"name": "x"})
    assert response.status_code == 400
    assert "Choose a file to upload." in text(response)


def test_a_hostile_file_name_is_only_a_sanitised_label(owner_client, project):
    response = upload(owner_client, project, csv_file("../../etc/passwd.csv"))
    assert response.status_code == 302
    dataset = Dataset.objects.get(project=project)
    version = dataset.latest_version
    assert dataset.name == "passwd"
    assert version.original_name == "passwd.csv"
    assert ".." not in version.raw_key and "etc" not in version.raw_key and "passwd" not in version.raw_key


def test_control_characters_in_a_file_name_never_reach_the_label(owner_client, project):
    response = upload(owner_client, project, csv_file("pass\x00wd\x07.csv"))
    assert response.status_code == 302
    version = DatasetVersion.objects.get()
    assert version.original_name == "passwd.csv"
    assert version.dataset.name == "passwd"
    assert version.raw_key.startswith("datasets/")


def test_a_file_over_the_size_limit_is_refused_with_the_limit(owner_client, project, settings):
    settings.DATASET_MAX_UPLOAD_BYTES = 1024 * 1024
    big = SAMPLE_CSV * 300  # about 1.1 MB: within the envelope's slack, so stopped while streaming
    assert 1024 * 1024 < len(big) < 2 * 1024 * 1024
    response = upload(owner_client, project, csv_file("big.csv", big))
    assert response.status_code == 400
    assert "larger than the 1 MB limit" in text(response)
    assert not Dataset.objects.exists()


def test_a_body_declared_far_over_the_limit_is_refused_before_reading(owner_client, project, settings):
    settings.DATASET_MAX_UPLOAD_BYTES = 1024
    huge = SAMPLE_CSV * 300  # over the limit plus the multipart envelope's slack (1 MB)
    assert len(huge) > 1024 + 1024 * 1024
    response = upload(owner_client, project, csv_file("huge.csv", huge))
    assert response.status_code == 400
    assert "larger than the" in text(response) and "limit" in text(response)
    assert not Dataset.objects.exists()


def test_a_taken_name_is_refused_on_the_name_field(owner_client, project, owner):
    make_dataset(project, owner, name="customers", process=False)
    response = upload(owner_client, project, csv_file("customers.csv"))
    assert response.status_code == 400
    assert "already has a dataset named" in text(response)
    assert Dataset.objects.filter(project=project).count() == 1


def test_a_viewer_may_not_upload(client, project, viewer):
    login(client, viewer)
    assert client.get(reverse("dataset_upload", args=[project.pk])).status_code == 403
    response = upload(client, project, csv_file())
    assert response.status_code == 403
    assert not Dataset.objects.exists()


# --- New versions and the versions page -------------------------------------------------


def test_a_refused_new_version_is_listed_as_failed_and_the_ready_one_stays(owner_client, project, owner):
    dataset = make_dataset(project, owner, name="Customers")
    response = owner_client.post(
        reverse("dataset_new_version", args=[dataset.pk]),
        {"source": "upload", "file": csv_file("broken.csv", bytes(range(256)) * 40)},
    )
    assert response.status_code == 400
    assert "binary data" in text(response)

    versions = owner_client.get(reverse("dataset_versions", args=[dataset.pk]))
    assert versions.status_code == 200
    page = text(versions)
    assert "v2" in page and "Failed" in page and "binary data" in page
    assert "v1" in page and "Ready" in page

    dataset.refresh_from_db()
    assert dataset.latest_version.number == 2 and dataset.ready_version().number == 1
    old = owner_client.get(reverse("dataset_detail", args=[dataset.pk]) + "?version=1")
    assert old.status_code == 200


def test_a_good_new_version_becomes_the_latest(owner_client, project, owner):
    dataset = make_dataset(project, owner, name="Customers")
    response = owner_client.post(
        reverse("dataset_new_version", args=[dataset.pk]), {"source": "upload", "file": csv_file("march.csv")}
    )
    assert response.status_code == 302
    dataset.refresh_from_db()
    assert dataset.latest_version.number == 2 and dataset.latest_version.original_name == "march.csv"
    process_now(dataset.latest_version)

    page = text(owner_client.get(reverse("dataset_versions", args=[dataset.pk])))
    assert "march.csv" in page and "customers.csv" in page and "Latest" in page


def test_the_versions_page_links_ready_versions(owner_client, project, owner):
    dataset = make_dataset(project, owner, name="Customers")
    owner_client.post(reverse("dataset_new_version", args=[dataset.pk]), {"source": "upload", "file": csv_file()})
    process_now(dataset.versions.get(number=2))
    html = owner_client.get(reverse("dataset_versions", args=[dataset.pk])).content.decode()
    assert f'href="{reverse("dataset_detail", args=[dataset.pk])}?version=1"' in html


# --- Progress fragment ------------------------------------------------------------------


def test_the_progress_fragment_polls_only_while_processing(owner_client, project, owner):
    dataset = make_dataset(project, owner, process=False)
    url = reverse("dataset_progress", args=[dataset.pk])

    processing = owner_client.get(url)
    assert processing.status_code == 200
    html = processing.content.decode()
    assert 'id="dataset-progress"' in html and 'data-status="processing"' in html
    assert 'hx-trigger="every 2s"' in html and "Waiting for a worker" in html

    process_now(dataset.latest_version)
    ready = owner_client.get(url).content.decode()
    assert 'data-status="ready"' in ready and "every 2s" not in ready
    assert "120 rows × 6 columns" in " ".join(re.sub(r"<[^>]+>", " ", ready).split())


# --- The list, the project card, edit and delete ----------------------------------------


def test_the_list_shows_names_and_statuses(owner_client, project, owner):
    make_dataset(project, owner, name="Customers")
    make_dataset(project, owner, name="Orders", process=False)
    response = owner_client.get(reverse("dataset_list", args=[project.pk]))
    assert response.status_code == 200
    page = text(response)
    assert "Customers" in page and "Ready" in page
    assert "Orders" in page and "Processing" in page
    assert "120" in page  # rows of the ready one


def test_the_empty_list_offers_the_next_actions_to_editors_only(client, project, editor, viewer):
    url = reverse("dataset_list", args=[project.pk])
    editor_page = login(client, editor).get(url).content.decode()
    assert reverse("dataset_upload", args=[project.pk]) in editor_page
    assert reverse("dataset_import_sql", args=[project.pk]) in editor_page
    viewer_page = login(client, viewer).get(url).content.decode()
    assert "No datasets yet" in viewer_page
    assert reverse("dataset_upload", args=[project.pk]) not in viewer_page


def test_the_project_page_lists_its_latest_datasets(owner_client, project, owner):
    make_dataset(project, owner, name="Customers")
    page = owner_client.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert "Customers" in page and "badge-ready" in page
    assert reverse("dataset_upload", args=[project.pk]) in page and "More options…" in page


# --- The drop zone of the project page --------------------------------------------------

# The headers static/js/upload.js sends with the project page's drop zone.
DROP_ZONE_HEADERS = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "project-upload"}


def drop_zone_upload(client, project, file):
    """What the drop zone posts: the file alone (no name, no reading options)."""
    url = reverse("dataset_upload", args=[project.pk])
    return client.post(url, {"file": file, "source": "upload"}, **DROP_ZONE_HEADERS)


def test_the_project_page_offers_the_drop_zone_to_editors_only(client, project, editor, viewer):
    url = reverse("project_detail", args=[project.pk])
    editor_page = login(client, editor).get(url)
    html = editor_page.content.decode()
    assert "Drop a data file here or choose one" in text(editor_page)
    assert re.search(r'<div[^>]*id="project-upload"', html)
    assert f'action="{reverse("dataset_upload", args=[project.pk])}"' in html and "data-upload-auto" in html
    assert 'type="file" name="file"' in html and "js/upload.js" in html
    assert "More options…" in text(editor_page) and "No datasets yet." in text(editor_page)

    viewer_page = login(client, viewer).get(url)
    assert "No datasets yet" in text(viewer_page)
    assert "Drop a data file" not in text(viewer_page)
    assert "data-upload" not in viewer_page.content.decode() and "js/upload.js" not in viewer_page.content.decode()


def test_a_drop_zone_upload_creates_the_dataset_and_redirects_to_it(owner_client, project):
    response = drop_zone_upload(owner_client, project, csv_file("Churn 2024.csv"))

    dataset = Dataset.objects.get(project=project)
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("dataset_detail", args=[dataset.pk])
    assert dataset.name == "Churn 2024"  # the file's stem
    process_now(dataset.latest_version)
    assert dataset.latest_version.status == DatasetVersion.Status.READY


@pytest.mark.parametrize("content,name,message", BAD_FILES)
def test_a_file_refused_in_the_drop_zone_answers_the_compact_form(owner_client, project, content, name, message):
    response = drop_zone_upload(owner_client, project, csv_file(name, content))

    html = response.content.decode()
    assert response.status_code == 200  # htmx-style: a fragment to show in place
    assert "<html" not in html and "<main" not in html  # the compact form only, not a page
    assert "data-upload-auto" in html and "Reading options" not in html
    error = re.search(r'<p class="upload-error"[^>]*data-upload-error role="alert">(.*?)</p>', html, re.S)
    assert error and message in text_of(error.group(1))
    assert "More options…" in html
    assert not Dataset.objects.exists()


def test_a_taken_name_in_the_drop_zone_says_so(owner_client, project, owner):
    make_dataset(project, owner, name="customers", process=False)
    response = drop_zone_upload(owner_client, project, csv_file("customers.csv"))
    assert response.status_code == 200 and "already has a dataset named “customers”" in text(response)
    assert Dataset.objects.filter(project=project).count() == 1


def test_a_file_over_the_limit_in_the_drop_zone_shows_the_limit(owner_client, project, settings):
    settings.DATASET_MAX_UPLOAD_BYTES = 1024 * 1024
    response = drop_zone_upload(owner_client, project, csv_file("big.csv", SAMPLE_CSV * 300))
    assert response.status_code == 200 and "larger than the 1 MB limit" in text(response)
    assert 'data-max-bytes="1048576"' in response.content.decode()  # the browser checks it next time
    assert not Dataset.objects.exists()


def test_a_viewer_cannot_upload_through_the_drop_zone_url(client, project, viewer):
    response = drop_zone_upload(login(client, viewer), project, csv_file())
    assert response.status_code == 403
    assert not Dataset.objects.exists()


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#x27;", "'").split())


def test_rename_and_describe(owner_client, project, owner):
    dataset = make_dataset(project, owner, name="Customers", process=False)
    url = reverse("dataset_edit", args=[dataset.pk])
    assert owner_client.get(url).status_code == 200
    response = owner_client.post(url, {"name": "Customers 2024", "description": "One row per customer."})
    assert response.status_code == 302
    dataset.refresh_from_db()
    assert dataset.name == "Customers 2024" and dataset.description == "One row per customer."
    blank = owner_client.post(url, {"name": "", "description": ""})
    assert blank.status_code == 400 and "A dataset needs a name." in text(blank)


def test_an_admin_may_delete_a_dataset_and_an_editor_may_not(client, project, owner, admin_user, editor):
    dataset = make_dataset(project, owner, name="Customers", process=False)
    url = reverse("dataset_delete", args=[dataset.pk])

    assert login(client, editor).post(url).status_code == 403
    assert Dataset.objects.filter(pk=dataset.pk).exists()

    response = login(client, admin_user).post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("dataset_list", args=[project.pk])
    assert "Dataset “Customers” deleted." in text(response)
    assert not Dataset.objects.filter(pk=dataset.pk).exists()
    assert Dataset.all_objects.get(pk=dataset.pk).is_deleted


# --- SQL import -------------------------------------------------------------------------


def create_connection(client, project, url=POSTGRES_URL, name="Local PostgreSQL", **headers):
    return client.post(reverse("sql_connection_create", args=[project.pk]), {"name": name, "url": url}, **headers)


def test_import_from_postgresql_end_to_end(owner_client, project):
    page = owner_client.get(reverse("dataset_import_sql", args=[project.pk]))
    assert page.status_code == 200
    assert "read-only" in text(page) and "No saved connection yet" in text(page)

    created = create_connection(owner_client, project, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="sql-connections")
    assert created.status_code == 200
    connection = SqlConnection.objects.get(project=project)
    fragment = created.content.decode()
    # Saved and tested at once: the list shows the result, not "Not tested yet".
    assert "Connection “Local PostgreSQL” saved and tested: " in fragment and "toast-success" in fragment
    assert "connection-test-ok" in fragment and "Not tested yet" not in fragment
    assert connection.last_tested_at is not None
    assert re.search(r'<div id="connection-choice"[^>]*hx-swap-oob="true"', fragment)
    assert f'<option value="{connection.pk}" selected>' in fragment

    tested = owner_client.post(
        reverse("sql_connection_test", args=[project.pk]), {"connection": connection.pk}, HTTP_HX_REQUEST="true"
    )
    assert tested.status_code == 200
    assert "connection-test-ok" in tested.content.decode() and "PostgreSQL" in text(tested)

    response = owner_client.post(
        reverse("dataset_import_sql", args=[project.pk]),
        {"connection": connection.pk, "query": "SELECT 1 AS a, 'x' AS b", "name": "One row"},
    )
    dataset = Dataset.objects.get(project=project, name="One row")
    assert response.status_code == 302 and response["Location"] == reverse("dataset_detail", args=[dataset.pk])
    version = dataset.latest_version
    assert version.status == DatasetVersion.Status.PROCESSING and version.source == DatasetVersion.Source.SQL

    process_now(version)
    assert version.status == DatasetVersion.Status.READY and version.n_rows == 1 and version.n_columns == 2

    # A SQL dataset can be imported again from its new-version page.
    again = owner_client.get(reverse("dataset_new_version", args=[dataset.pk]))
    assert "Run the query again" in text(again)
    rerun = owner_client.post(
        reverse("dataset_new_version", args=[dataset.pk]),
        {"source": "sql", "connection": connection.pk, "query": "SELECT 2 AS a, 'y' AS b"},
    )
    assert rerun.status_code == 302
    dataset.refresh_from_db()
    assert dataset.latest_version.number == 2 and dataset.latest_version.query == "SELECT 2 AS a, 'y' AS b"


def test_a_saved_connection_never_shows_its_password(owner_client, project):
    response = create_connection(owner_client, project, url="postgresql://postgres:s3cret-pw@127.0.0.1:5432/postgres")
    assert response.status_code == 302
    page = owner_client.get(response["Location"]).content.decode()
    assert "Local PostgreSQL" in page and "s3cret-pw" not in page


def test_a_connection_that_fails_its_first_test_is_saved_with_the_reason(owner_client, project):
    url = "postgresql://postgres@127.0.0.1:1/postgres"
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "sql-connections"}
    created = create_connection(owner_client, project, url=url, **headers)
    assert created.status_code == 200
    connection = SqlConnection.objects.get(project=project)
    assert connection.last_tested_at is None
    fragment = created.content.decode()
    assert "Connection “Local PostgreSQL” saved, but the test failed: " in fragment and "toast-warning" in fragment
    assert "connection-test-error" in fragment

    # Without htmx: the same news as a message on the import page.
    page = create_connection(owner_client, project, url=POSTGRES_URL, name="Good one")
    assert page.status_code == 302
    assert "saved and tested: " in text(owner_client.get(page["Location"]))


def test_a_bad_url_is_refused_with_a_readable_message(owner_client, project):
    response = create_connection(owner_client, project, url="nonsense://somewhere")
    assert response.status_code == 400
    assert re.search(r"postgresql|mysql", text(response), re.I)
    assert not SqlConnection.objects.exists()

    test_url = reverse("sql_connection_test", args=[project.pk])
    tested = owner_client.post(test_url, {"url": "not a url"}, HTTP_HX_REQUEST="true")
    assert tested.status_code == 200 and "connection-test-error" in tested.content.decode()


def test_a_wrong_port_gives_a_readable_error_not_a_500(owner_client, project):
    tested = owner_client.post(
        reverse("sql_connection_test", args=[project.pk]),
        {"url": "postgresql://postgres@127.0.0.1:1/postgres"},
        HTTP_HX_REQUEST="true",
    )
    assert tested.status_code == 200
    assert "connection-test-error" in tested.content.decode()
    assert len(text(tested)) > 20


def test_a_query_that_is_not_a_select_is_refused(owner_client, project, owner):
    from datasets import services

    connection = services.create_connection(actor=owner, project=project, name="pg", url=POSTGRES_URL)
    response = owner_client.post(
        reverse("dataset_import_sql", args=[project.pk]),
        {"connection": connection.pk, "query": "DELETE FROM users", "name": "Nope"},
    )
    assert response.status_code == 400
    assert not Dataset.objects.exists()


def test_deleting_a_connection(client, project, owner, viewer):
    from datasets import services

    connection = services.create_connection(actor=owner, project=project, name="pg", url=POSTGRES_URL)
    url = reverse("sql_connection_delete", args=[connection.pk])
    assert login(client, viewer).post(url).status_code == 403
    response = login(client, owner).post(url)
    assert response.status_code == 302
    assert not SqlConnection.objects.filter(pk=connection.pk).exists()
