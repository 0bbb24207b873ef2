"""The Schema tab: every column with its inferred and chosen type and role, editable by editors.

Wide datasets (thousands of columns) are shown 200 columns per page, optionally filtered by
name; the form posts only the rows of its page. Only the rows whose type or role differ from
the stored schema are sent to the service, so an unchanged row never conflicts with a change
made on another row (for example the previous target, which the service demotes itself).
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from projects.views.common import form_error_status, redirect_after_post

from .. import services
from ..models import ColumnRole, ColumnType
from .common import dataset_for, dataset_page_context, version_for
from .explore_profile import read_profile

COLUMNS_PER_PAGE = 200
EXAMPLE_VALUES = 3
ROW_FIELD = re.compile(r"^col-(\d{1,5})-name$")


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) < 9 else 1


def _schema_url(dataset, version, source) -> str:
    """The schema page again, on the version just edited (while it is profiled again, the
    default version could be an older one) and the page and filter the user was on."""
    params = {"version": version.number}
    for key in ("page", "q"):
        if source.get(key):
            params[key] = source.get(key)
    url = reverse("dataset_schema", args=[dataset.pk])
    return f"{url}?{urlencode(params)}" if params else url


def _posted_rows(post) -> dict[str, dict]:
    """{column name: {"type", "role"}} from the rows of the submitted page."""
    rows = {}
    for key in post:
        match = ROW_FIELD.match(key)
        if not match:
            continue
        index = match.group(1)
        name = post.get(key, "")
        row = {}
        for field in ("type", "role"):
            value = post.get(f"col-{index}-{field}")
            if value is not None:
                row[field] = value
        rows[name] = row
    return rows


def _changes(version, posted: dict[str, dict]) -> list[dict]:
    """Only what differs from the stored schema (unknown names are passed on for the service
    to report)."""
    current = {c["name"]: c for c in version.columns}
    changes = []
    for name, row in posted.items():
        column = current.get(name)
        change = {k: v for k, v in row.items() if column is None or column.get(k) != v}
        if change:
            changes.append({"name": name, **change})
    return changes


def _error_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [message for messages_ in exc.message_dict.values() for message in messages_]
    return list(exc.messages)


def _rows(version, profile: dict | None, names: list[dict], posted: dict[str, dict]) -> list[dict]:
    stats = {c.get("name"): c for c in (profile or {}).get("columns") or []}
    rows = []
    for column in names:
        name = column["name"]
        chosen = posted.get(name, {})
        stat = stats.get(name, {})
        inferred_type = column.get("inferred_type", column["type"])
        inferred_role = column.get("inferred_role", column["role"])
        rows.append(
            {
                "name": name,
                "type": chosen.get("type", column["type"]),
                "role": chosen.get("role", column["role"]),
                "inferred_type": inferred_type,
                "inferred_role": inferred_role,
                "changed": column["type"] != inferred_type or column["role"] != inferred_role,
                "missing_share": stat.get("missing_share"),
                "distinct": stat.get("distinct"),
                "examples": [str(v.get("value")) for v in (stat.get("top_values") or [])[:EXAMPLE_VALUES]],
                # Numbers and dates with many values show their range instead of examples.
                "range": (stat["min"], stat["max"]) if stat.get("min") is not None else None,
            }
        )
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def dataset_schema(request, pk):
    """Types and roles of the columns; editors change them and the profile is computed again."""
    dataset = dataset_for(request, pk, "change" if request.method == "POST" else "view")
    version = version_for(request, dataset)
    source = request.POST if request.method == "POST" else request.GET
    errors: list[str] = []
    posted: dict[str, dict] = {}
    if request.method == "POST" and version is not None:
        reset = request.POST.get("reset")
        posted = {} if reset else _posted_rows(request.POST)
        changes = [version.reset_change(reset)] if reset else _changes(version, posted)
        if not changes:
            messages.info(request, "Nothing changed.")
            return redirect_after_post(request, _schema_url(dataset, version, source))
        try:
            services.update_schema(actor=request.user, version=version, changes=changes)
        except ValidationError as exc:
            errors = _error_messages(exc)
        else:
            messages.success(request, "Schema saved; the profile is being refreshed.")
            return redirect_after_post(request, _schema_url(dataset, version, source))
    context = dataset_page_context(request, dataset, version, "schema")
    context["data_tab"] = True
    context["errors"] = errors
    if version is not None and (version.is_ready or errors):
        # After a failed save the form is shown again whatever the version's state, so the
        # reason is visible; the friendly state covers only a plain visit to a busy version.
        context["data_tab"] = not errors
        query = source.get("q", "").strip()[:200]
        columns = [c for c in version.columns if query.lower() in c["name"].lower()] if query else version.columns
        page = Paginator(columns, COLUMNS_PER_PAGE).get_page(_page_number(source.get("page")))
        context.update(
            {
                "rows": _rows(version, read_profile(version), page.object_list, posted),
                "column_page": page,
                "column_query": query,
                "column_total": len(version.columns),
                "type_choices": ColumnType.choices,
                "role_choices": ColumnRole.choices,
                "may_edit": context["may"].get("change") and version.is_ready,
                "page_number": page.number,
            }
        )
    status = form_error_status(request) if errors else 200
    return render(request, "datasets/schema.html", context, status=status)
