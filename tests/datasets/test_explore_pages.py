"""The exploration tabs of a dataset: Preview, Schema, Profile and Charts, as a user sees them."""

import re

import pytest
from django.urls import reverse

from datasets import preview, services
from datasets.models import DatasetVersion
from tests import factories

pytestmark = pytest.mark.django_db


def _csv(rows: int = 60) -> str:
    """`score` has a missing value every 10th row; `plan` is constant (a quality warning)."""
    lines = ["customer_id,score,city,plan,churned"]
    for i in range(1, rows + 1):
        score = "" if i % 10 == 0 else str((i * 37) % 61 - 20)
        lines.append(f"{i},{score},{('Paris', 'Lyon', 'Nice')[i % 3]},basic,{'yes' if i % 4 == 0 else 'no'}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def dataset(project, owner):
    return factories.make_dataset(project, owner, name="Customers", content=_csv())


def _login(client, user):
    client.force_login(user)
    return client


def _column(rows_context, headers, name):
    """The texts of one column's cells, as shown."""
    index = next(i for i, h in enumerate(headers) if h["name"] == name)
    return [re.findall(r"<td[^>]*>(.*?)</td>", str(cells))[index] for _, cells in rows_context]


def test_preview_shows_first_rows_total_and_timing(client, owner, dataset):
    response = _login(client, owner).get(reverse("dataset_detail", args=[dataset.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Rows <strong>1–50</strong> of <strong>60</strong>" in html
    assert "Paris" in html and "customer_id" in html
    assert response.headers["Server-Timing"].startswith("app;dur=")
    types = {h["name"]: h["type"] for h in response.context["headers"]}
    assert types["score"] == "numeric"


@pytest.mark.parametrize("descending", [False, True])
def test_sorting_a_numeric_column_orders_rows_with_missing_last(client, owner, dataset, descending):
    query = {"sort": "score", "limit": 200, **({"desc": "1"} if descending else {})}
    response = _login(client, owner).get(reverse("dataset_rows", args=[dataset.pk]), query)
    assert response.status_code == 200
    assert response.headers["Server-Timing"]
    shown = _column(response.context["rows"], response.context["headers"], "score")
    present = [float(v) for v in shown if v != "—"]
    assert len(present) == 54
    assert shown[54:] == ["—"] * 6, "missing values come last in both directions"
    assert present == sorted(present, reverse=descending)
    direction = "descending" if descending else "ascending"
    assert f'aria-sort="{direction}"' in response.content.decode()


def test_paging_moves_through_the_rows(client, owner, dataset):
    _login(client, owner)
    url = reverse("dataset_detail", args=[dataset.pk])
    second = client.get(url, {"offset": 25, "limit": 25})
    assert second.context["first_row"] == 26 and second.context["last_row"] == 50
    assert second.context["prev"] and second.context["next"]
    last = client.get(url, {"offset": 50, "limit": 25})
    assert last.context["last_row"] == 60 and last.context["next"] is None
    assert _column(last.context["rows"], last.context["headers"], "customer_id")[0] == "51"


def test_bad_preview_parameters_never_fail(client, owner, dataset):
    _login(client, owner)
    page = reverse("dataset_detail", args=[dataset.pk])
    rows = reverse("dataset_rows", args=[dataset.pk])
    negative = client.get(page, {"offset": -5})
    assert negative.status_code == 200 and negative.context["first_row"] == 1
    huge = client.get(page, {"limit": 100000})
    assert huge.status_code == 200 and huge.context["params"]["limit"] == 200
    beyond = client.get(page, {"offset": 10**30})
    assert beyond.status_code == 200 and beyond.context["last_row"] == 60
    unknown = client.get(page, {"sort": "nope"})
    assert unknown.status_code == 200
    assert "There is no column named “nope”" in unknown.content.decode()
    fragment = client.get(rows, {"sort": "nope"})
    assert fragment.status_code == 400 and "There is no column named" in fragment.content.decode()
    words = client.get(rows, {"offset": "abc"})
    assert words.status_code == 400 and "not a whole number" in words.content.decode()
    assert client.get(page, {"version": 999}).status_code == 404
    assert client.get(page, {"version": "abc"}).status_code == 404
    assert client.get(rows, {"version": "abc"}).status_code == 404


def _schema_post(client, dataset, data, version=None):
    url = reverse("dataset_schema", args=[dataset.pk])
    if version:
        url += f"?version={version}"
    return client.post(url, data)


def test_editor_changes_type_and_role_and_the_profile_follows(client, editor, dataset):
    version = dataset.latest_version
    response = _schema_post(
        _login(client, editor),
        dataset,
        {
            "col-0-name": "score",
            "col-0-type": "categorical",
            "col-0-role": "feature",
            "col-1-name": "city",
            "col-1-type": "categorical",
            "col-1-role": "ignore",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"?version={version.number}")
    version.refresh_from_db()
    assert version.status == DatasetVersion.Status.PROCESSING
    busy = client.get(response["Location"])
    assert "is being refreshed" in busy.content.decode()
    assert "Schema saved; the profile is being refreshed." in busy.content.decode()

    factories.process_now(version)
    assert version.status == DatasetVersion.Status.READY
    columns = {c["name"]: c for c in version.columns}
    assert columns["score"]["type"] == "categorical" and columns["city"]["role"] == "ignore"
    profiled = {c["name"]: c for c in preview.load_profile(version)["columns"]}
    assert profiled["score"]["type"] == "categorical"
    page = client.get(reverse("dataset_profile", args=[dataset.pk]))
    assert page.status_code == 200
    card = next(c for c in page.context["column_cards"] if c["name"] == "score")
    assert card["type"] == "categorical"
    schema = client.get(reverse("dataset_schema", args=[dataset.pk])).content.decode()
    assert "changed" in schema and "Reset" in schema


def test_reset_puts_a_column_back_to_its_inferred_type_and_role(client, editor, dataset):
    version = dataset.latest_version
    inferred = next(c for c in version.columns if c["name"] == "score")
    _schema_post(
        _login(client, editor),
        dataset,
        {"col-0-name": "score", "col-0-type": "categorical", "col-0-role": "ignore"},
    )
    factories.process_now(version)
    response = _schema_post(client, dataset, {"reset": "score"}, version=version.number)
    assert response.status_code == 302
    factories.process_now(version)
    score = next(c for c in version.columns if c["name"] == "score")
    assert (score["type"], score["role"]) == (inferred["inferred_type"], inferred["inferred_role"])


def test_choosing_a_second_target_demotes_the_first(client, editor, dataset):
    version = dataset.latest_version
    assert version.target == "churned"
    # The whole page is posted: the old target's row still says target, unchanged.
    response = _schema_post(
        _login(client, editor),
        dataset,
        {
            "col-0-name": "churned",
            "col-0-type": next(c["type"] for c in version.columns if c["name"] == "churned"),
            "col-0-role": "target",
            "col-1-name": "city",
            "col-1-type": "categorical",
            "col-1-role": "target",
        },
    )
    assert response.status_code == 302
    version.refresh_from_db()
    roles = {c["name"]: c["role"] for c in version.columns}
    assert roles["city"] == "target" and roles["churned"] == "feature"


def test_viewer_cannot_change_the_schema(client, viewer, dataset):
    response = _schema_post(_login(client, viewer), dataset, {"col-0-name": "city", "col-0-role": "ignore"})
    assert response.status_code == 403
    page = client.get(reverse("dataset_schema", args=[dataset.pk]))
    assert page.status_code == 200
    assert "<select" not in page.content.decode() and "Save schema" not in page.content.decode()


def test_invalid_type_is_reported_and_nothing_changes(client, editor, dataset):
    version = dataset.latest_version
    before = [dict(c) for c in version.columns]
    response = _schema_post(_login(client, editor), dataset, {"col-0-name": "score", "col-0-type": "quaternion"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "The schema was not saved." in html and "Unknown type" in html
    version.refresh_from_db()
    assert version.columns == before and version.status == DatasetVersion.Status.READY


def test_profile_shows_warnings_and_the_sample_note(client, owner, project, settings):
    settings.DATASET_PROFILE_SAMPLE_ROWS = 20
    dataset = factories.make_dataset(project, owner, name="Sampled", content=_csv())
    response = _login(client, owner).get(reverse("dataset_profile", args=[dataset.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="dataset-profile"' in html
    assert "Correlations and target associations were computed on a sample of 20 of 60 rows." in html
    assert "has a single value" in html, "the constant column is flagged"
    assert "Quality warnings" in html


def test_profile_shows_the_target_and_the_use_as_target_form_sets_a_role_only(client, editor, dataset):
    _login(client, editor)
    profile = client.get(reverse("dataset_profile", args=[dataset.pk])).content.decode()
    assert 'The model will predict <span class="mono">churned</span>' in profile
    assert "Association with the target" in profile
    # What the "Use as target" button sends: a column name and the target role, nothing else.
    response = _schema_post(client, dataset, {"col-0-name": "city", "col-0-role": "target"}, version=1)
    assert response.status_code == 302
    version = dataset.latest_version
    version.refresh_from_db()
    roles = {c["name"]: c["role"] for c in version.columns}
    assert roles["city"] == "target" and roles["churned"] == "feature"


def test_charts_tab_embeds_plotly_and_the_chart_data(client, owner, dataset):
    response = _login(client, owner).get(reverse("dataset_charts", args=[dataset.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/vendor/plotly/plotly.min.js" in html
    assert '<script id="profile-data" type="application/json">' in html
    assert "js/charts.js" in html
    data = response.context["chart_data"]
    assert {"columns", "correlations", "scatter", "target"} <= set(data)
    assert "associations" not in (data["target"] or {})
    preview_page = client.get(reverse("dataset_detail", args=[dataset.pk])).content.decode()
    assert "plotly.min.js" not in preview_page, "Plotly loads on the Charts tab only"


def test_an_older_version_is_viewable_and_says_so(client, owner, dataset):
    second = services.add_version(actor=owner, dataset=dataset, upload=factories.uploaded_file(_csv(30)))
    factories.process_now(second)
    _login(client, owner)
    latest = client.get(reverse("dataset_detail", args=[dataset.pk]))
    assert "Version 2 of 2" in latest.content.decode() and "not the latest" not in latest.content.decode()
    older = client.get(reverse("dataset_detail", args=[dataset.pk]), {"version": 1})
    html = older.content.decode()
    assert older.status_code == 200
    assert "Version 1 of 2" in html and "not the latest" in html
    assert older.context["total"] == 60
    assert f"{reverse('dataset_schema', args=[dataset.pk])}?version=1" in html, "tabs keep the version"


def test_a_processing_version_shows_a_friendly_state(client, owner, project):
    dataset = factories.make_dataset(project, owner, name="Busy", content=_csv(), process=False)
    _login(client, owner)
    for name in ("dataset_detail", "dataset_schema", "dataset_profile", "dataset_charts"):
        response = client.get(reverse(name, args=[dataset.pk]))
        assert response.status_code == 200, name
        assert "is being processed" in response.content.decode(), name
    assert 'ws-connect="/ws/datasets/' in response.content.decode()
    rows = client.get(reverse("dataset_rows", args=[dataset.pk]))
    assert rows.status_code == 400 and "not ready" in rows.content.decode()


def test_cell_values_are_escaped(client, owner, project):
    dataset = factories.make_dataset(
        project, owner, name="Hostile", content='name,n\n"<script>alert(1)</script>",1\nok,2\n'
    )
    html = _login(client, owner).get(reverse("dataset_detail", args=[dataset.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_wide_table_is_shown_a_window_of_columns_at_a_time(client, owner, project):
    header = ",".join(f"c{i:02d}" for i in range(60))
    body = "\n".join(",".join(str(r * 100 + i) for i in range(60)) for r in range(5))
    dataset = factories.make_dataset(project, owner, name="Wide", content=f"{header}\n{body}\n")
    _login(client, owner)
    first = client.get(reverse("dataset_detail", args=[dataset.pk]))
    assert [h["name"] for h in first.context["headers"]] == [f"c{i:02d}" for i in range(50)]
    assert "Columns 1–50 of 60" in first.content.decode()
    rest = client.get(reverse("dataset_rows", args=[dataset.pk]), {"cols": 50, "sort": "c55", "desc": "1"})
    assert rest.status_code == 200
    assert [h["name"] for h in rest.context["headers"]] == [f"c{i:02d}" for i in range(50, 60)]
    assert _column(rest.context["rows"], rest.context["headers"], "c55") == ["455", "355", "255", "155", "55"]


def test_statistics_are_formatted_for_people():
    from datasets.templatetags import dataset_tags as f

    assert f.human_bytes(1536) == "1.5 KB" and f.human_bytes(None) == "—"
    assert f.thousands(1234567) == "1,234,567" and f.thousands("x") == "—"
    assert f.percent(0.125) == "12.5%" and f.percent(0.0001) == "<0.1%" and f.percent(0.99999) == ">99.9%"
    assert f.stat(None) == "—" and f.stat(float("nan")) == "—" and f.stat(3.14159) == "3.142" and f.stat(12) == "12"
    assert f.stat(2.5e-7) == "2.500e-07" and f.stat(123456.7) == "123,457"
    assert f.bar_width(5, 10) == "50.0%" and f.bar_width(1, 0) == "0%"
