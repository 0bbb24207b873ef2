"""The exploration tabs of a dataset: Preview (and its rows fragment), Profile and Charts.

The Schema tab lives in explore_schema.py; what the Profile and Charts tabs compute from a
profile lives in explore_profile.py. Each tab shows the version `version_for` chooses.
"""

from __future__ import annotations

from html import escape as _escape
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from .. import preview
from .common import dataset_for, dataset_page_context, version_for
from .explore_profile import chart_payload, profile_context
from .explore_schema import dataset_schema

__all__ = ["dataset_charts", "dataset_detail", "dataset_profile", "dataset_rows", "dataset_schema"]

PAGE_SIZES = (25, 50, 100, 200)
MAX_PAGE_SIZE = PAGE_SIZES[-1]
TEXT_CELL_CHARS = 200
# Wide tables show this many columns at a time, so a page stays fast and readable.
COLUMN_WINDOW = 50
TYPE_SHORT = {
    "numeric": "num",
    "categorical": "cat",
    "boolean": "bool",
    "datetime": "date",
    "text": "text",
    "identifier": "id",
}


def _escape_text(text: str) -> str:
    """Escape text for an element's content (quotes need no escaping there)."""
    return _escape(text, quote=False)


def _whole_number(raw: str | None, default: int, label: str, problems: list[str]) -> int:
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        problems.append(f"The {label} “{raw[:40]}” is not a whole number; showing the default instead.")
        return default


def _preview_params(request, version) -> tuple[dict, list[str]]:
    """offset/limit/sort/desc/cols from the query string, clamped to what can be shown. Values
    that cannot be read become defaults and a message; out-of-range numbers are clamped."""
    problems: list[str] = []
    offset = max(0, _whole_number(request.GET.get("offset"), 0, "row offset", problems))
    limit = _whole_number(request.GET.get("limit"), preview.DEFAULT_LIMIT, "page size", problems)
    limit = max(1, min(MAX_PAGE_SIZE, limit))
    first_column = max(0, _whole_number(request.GET.get("cols"), 0, "first column", problems))
    n_columns = len(version.columns)
    if first_column >= n_columns:
        first_column = (n_columns - 1) // COLUMN_WINDOW * COLUMN_WINDOW if n_columns else 0
    sort = request.GET.get("sort", "")
    if sort and not any(column["name"] == sort for column in version.columns):
        problems.append(f"There is no column named “{sort[:80]}”; the rows are shown unsorted.")
        sort = ""
    total = version.n_rows or 0
    if offset >= total:
        offset = (total - 1) // limit * limit if total else 0
    return {
        "offset": offset,
        "limit": limit,
        "cols": first_column,
        "sort": sort,
        "desc": bool(sort) and request.GET.get("desc") == "1",
    }, problems


def _cell_html(value, numeric: bool) -> str:
    """One cell as HTML. Built here rather than in the template: a page can hold thousands of
    cells and a template loop costs ten times more per cell. Text is escaped."""
    if value is None:
        return '<td class="num missing">—</td>' if numeric else '<td class="missing">—</td>'
    if isinstance(value, bool):
        return "<td>true</td>" if value else "<td>false</td>"
    if isinstance(value, float):
        return f'<td class="num">{value!r}</td>'
    if isinstance(value, int):
        return f'<td class="num">{value}</td>'
    text = str(value)
    if len(text) > TEXT_CELL_CHARS:
        text = text[:TEXT_CELL_CHARS] + "…"
    return f'<td class="num">{_escape_text(text)}</td>' if numeric else f"<td>{_escape_text(text)}</td>"


def _query_builder(version, params: dict, request):
    """A function making query strings for links: the current parameters with some changed."""
    base = {"version": version.number} if request.GET.get("version") else {}
    current = {
        "offset": params["offset"],
        "limit": params["limit"],
        "cols": params["cols"],
        "sort": params["sort"],
        "desc": "1" if params["desc"] else "",
    }

    def query(**changes) -> str:
        values = {**base, **current, **changes}
        if values["limit"] == preview.DEFAULT_LIMIT:
            del values["limit"]
        return urlencode({k: v for k, v in values.items() if v not in ("", None, 0) or k == "version"})

    return query


def _paging_links(query, params: dict, total: int, n_columns: int) -> dict:
    offset, limit, cols = params["offset"], params["limit"], params["cols"]
    last = max(0, (total - 1) // limit * limit) if total else 0
    return {
        "first": query(offset=0) if offset > 0 else None,
        "prev": query(offset=max(0, offset - limit)) if offset > 0 else None,
        "next": query(offset=offset + limit) if offset + limit < total else None,
        "last": query(offset=last) if offset < last else None,
        "cols_prev": query(cols=max(0, cols - COLUMN_WINDOW)) if cols > 0 else None,
        "cols_next": query(cols=cols + COLUMN_WINDOW) if cols + COLUMN_WINDOW < n_columns else None,
    }


def _preview_context(request, dataset, version, params: dict, problems: list[str]) -> dict:
    n_columns = len(version.columns)
    window = None
    if n_columns > COLUMN_WINDOW:
        window = [c["name"] for c in version.columns[params["cols"] : params["cols"] + COLUMN_WINDOW]]
    page = preview.read_page(
        version,
        offset=params["offset"],
        limit=params["limit"],
        sort=params["sort"],
        descending=params["desc"],
        columns=window,
    )
    total = page["total"]
    query = _query_builder(version, params, request)
    numeric = [column["type"] == "numeric" for column in page["columns"]]
    headers = []
    for column, is_numeric in zip(page["columns"], numeric, strict=True):
        sorted_here = params["sort"] == column["name"]
        # A first click sorts ascending; clicking the sorted column flips it.
        desc_next = "1" if sorted_here and not params["desc"] else ""
        headers.append(
            {
                **column,
                "numeric": is_numeric,
                "type_short": TYPE_SHORT.get(column["type"], column["type"]),
                "aria_sort": ("descending" if params["desc"] else "ascending") if sorted_here else "",
                "query": query(sort=column["name"], desc=desc_next, offset=0),
            }
        )
    # Safe: _cell_html escapes every value it writes.
    rows = [
        (params["offset"] + index + 1, mark_safe("".join(map(_cell_html, row, numeric))))  # noqa: S308
        for index, row in enumerate(page["rows"])
    ]
    return {
        **_paging_links(query, params, total, n_columns),
        "page_url": reverse("dataset_detail", args=[dataset.pk]),
        "rows_url": reverse("dataset_rows", args=[dataset.pk]),
        "headers": headers,
        "rows": rows,
        "total": total,
        "first_row": params["offset"] + 1 if rows else 0,
        "last_row": params["offset"] + len(rows),
        "params": params,
        "n_columns": n_columns,
        "first_column": params["cols"] + 1,
        "last_column": params["cols"] + len(headers),
        "page_sizes": [(size, query(limit=size, offset=params["offset"] // size * size)) for size in PAGE_SIZES],
        "problems": problems,
    }


def _data_tab(request, pk: int, tab: str):
    """(dataset, version, context) of a tab that shows a version's data; the frame shows a
    friendly state instead while that version is processing or failed (`data_tab`)."""
    dataset = dataset_for(request, pk, "view")
    version = version_for(request, dataset)
    context = dataset_page_context(request, dataset, version, tab)
    context["data_tab"] = True
    return dataset, version, context


@login_required
@require_GET
def dataset_detail(request, pk):
    """The Preview tab: the first page of rows, sortable and paginated."""
    dataset, version, context = _data_tab(request, pk, "preview")
    if version is not None and version.is_ready:
        params, problems = _preview_params(request, version)
        try:
            page_context = _preview_context(request, dataset, version, params, problems)
        except preview.PreviewError as exc:
            context["preview_error"] = str(exc)
        else:
            context.update(page_context)
    return render(request, "datasets/preview.html", context)


@login_required
@require_GET
def dataset_rows(request, pk):
    """The table of the Preview tab alone, for htmx: a page of rows in a given order."""
    dataset = dataset_for(request, pk, "view")
    version = version_for(request, dataset)
    if version is None or not version.is_ready:
        return _bad_request("This version is not ready yet; its rows can be shown once processing finishes.")
    params, problems = _preview_params(request, version)
    if problems:
        return _bad_request(" ".join(problems))
    try:
        page_context = _preview_context(request, dataset, version, params, problems)
    except preview.PreviewError as exc:
        return _bad_request(str(exc))
    context = {**dataset_page_context(request, dataset, version, "preview"), **page_context}
    return render(request, "datasets/preview.html#table", context)


def _bad_request(message: str) -> HttpResponse:
    return HttpResponse(f'<div class="alert alert-error" role="alert">{escape(message)}</div>', status=400)


@login_required
@require_GET
def dataset_profile(request, pk):
    """The Profile tab: summary, warnings, suggested target, per-column statistics."""
    _, version, context = _data_tab(request, pk, "profile")
    if version is not None and version.is_ready:
        context.update(profile_context(request, version))
    return render(request, "datasets/profile.html", context)


@login_required
@require_GET
def dataset_charts(request, pk):
    """The Charts tab: Plotly charts drawn in the browser from a trimmed copy of the profile."""
    _, version, context = _data_tab(request, pk, "charts")
    if version is not None and version.is_ready:
        context["chart_data"] = chart_payload(version)
    return render(request, "datasets/charts.html", context)
