"""The SQL import page and the saved connections it uses (create, test, delete).

A connection's URL holds a password: it goes in once, is stored encrypted, and the pages only
ever show `display_url` (the URL with the password hidden).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from automl_site.api import MAX_ID
from projects.forms import apply_service_errors
from projects.views.common import (
    form_error_status,
    project_page_context,
    redirect_after_post,
    toast_html,
    wants_fragment,
)

from .. import services
from ..forms import ConnectionForm, SqlImportForm
from ..models import SqlConnection
from .common import connection_for, project_for

# Ids of the elements htmx swaps (see templates/datasets/import_sql.html).
IMPORT_TARGET = "sql-import-form"
CONNECTIONS_TARGET = "sql-connections"


def _context(request, project, *, form=None, connection_form=None, selected=None) -> dict:
    connections = SqlConnection.objects.filter(project=project).order_by("name", "id")
    if form is None:
        initial = {"connection": selected or (connections[0].pk if connections else None)}
        form = SqlImportForm(initial=initial, project=project)
    return {
        **project_page_context(request.user, project),
        "form": form,
        "connection_form": connection_form or ConnectionForm(),
        "connections": connections,
        "sql_timeout_s": settings.SQL_TIMEOUT_S,
        "sql_row_cap": settings.SQL_ROW_CAP,
    }


def _selected_connection(request) -> int | None:
    value = request.GET.get("connection", "")
    return int(value) if value.isdigit() and int(value) <= MAX_ID else None


@login_required
@require_http_methods(["GET", "POST"])
def dataset_import_sql(request, pk):
    project = project_for(request, pk, "change")
    form = None
    if request.method == "POST":
        form = SqlImportForm(request.POST, project=project)
        if form.is_valid():
            try:
                dataset = services.import_sql(actor=request.user, project=project, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"Importing “{dataset.name}”: the query runs in the background now.")
                return redirect_after_post(request, reverse("dataset_detail", args=[dataset.pk]))
    context = _context(request, project, form=form, selected=_selected_connection(request))
    status = form_error_status(request) if form is not None and form.errors else 200
    if wants_fragment(request, IMPORT_TARGET):
        return render(request, "datasets/import_sql.html#import-form", context, status=status)
    return render(request, "datasets/import_sql.html", context, status=status)


def _try_connection(actor, project, *, url: str = "", connection: SqlConnection | None = None) -> tuple[bool, str]:
    """(worked, readable message) of a connection test; never raises for a misbehaving database."""
    try:
        return True, services.test_connection(actor=actor, project=project, url=url, connection=connection)
    except ValidationError as exc:
        return False, " ".join(exc.messages)


def _saved_message(connection: SqlConnection, test: dict) -> tuple[str, str]:
    """(level, text) telling that the connection was saved and how its first test went."""
    if test["ok"]:
        return "success", f"Connection “{connection.name}” saved and tested: {test['message']}"
    return "warning", f"Connection “{connection.name}” saved, but the test failed: {test['message']}"


@login_required
@require_POST
def connection_create(request, pk):
    """Save a connection, then test it at once (the list then shows it as tested, and the user
    learns straight away whether it works; it is kept either way). From the page's htmx form:
    the updated connection list, the import form's connection choice (out of band, with the new
    one selected) and a toast with the test's result."""
    project = project_for(request, pk, "change")
    form = ConnectionForm(request.POST)
    connection = test = None
    if form.is_valid():
        try:
            connection = services.create_connection(actor=request.user, project=project, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
    if connection:
        ok, result = _try_connection(request.user, project, connection=connection)
        test = {"ok": ok, "message": result}
    if request.htmx:
        selected = connection.pk if connection else None
        context = _context(request, project, connection_form=None if connection else form, selected=selected)
        context["created"] = connection
        context["created_test"] = test
        response = render(request, "datasets/import_sql.html#connections", context)
        if connection:
            level, saved = _saved_message(connection, test)
            response.write(render(request, "datasets/import_sql.html#connection-choice-oob", context).content)
            response.write(toast_html(saved, level))
        return response
    if connection:
        level, saved = _saved_message(connection, test)
        messages.add_message(request, messages.SUCCESS if test["ok"] else messages.WARNING, saved)
        url = reverse("dataset_import_sql", args=[project.pk])
        return redirect_after_post(request, f"{url}?connection={connection.pk}")
    context = _context(request, project, connection_form=form)
    return render(request, "datasets/import_sql.html", context, status=form_error_status(request))


def _connection_of(project, value: str) -> SqlConnection | None:
    if not value.isdigit() or int(value) > MAX_ID:
        return None
    return SqlConnection.objects.filter(project=project, pk=int(value)).first()


@login_required
@require_POST
def connection_test(request, pk):
    """Try a typed URL (`url`) or a saved connection of this project (`connection`).

    Answers a small fragment either way: the server's version, or what went wrong and what to
    check. A database that misbehaves must never turn into a 500 here."""
    project = project_for(request, pk, "change")
    url = request.POST.get("url", "").strip()
    chosen = request.POST.get("connection", "").strip()
    connection = None if url else _connection_of(project, chosen)
    ok, message = False, ""
    if not url and not chosen:
        message = "Enter a database URL, or choose a saved connection, to test it."
    elif not url and connection is None:
        message = "That connection does not exist in this project any more; choose another."
    else:
        ok, message = _try_connection(request.user, project, url=url, connection=connection)
    context = {"ok": ok, "message": message}
    status = 200 if ok or request.htmx else 400
    return render(request, "datasets/includes/ingest_connection_test.html", context, status=status)


@login_required
@require_POST
def connection_delete(request, pk):
    connection = connection_for(request, pk, "change")
    project = connection.project
    services.delete_connection(actor=request.user, connection=connection)
    messages.success(request, f"Connection “{connection.name}” deleted.")
    return redirect_after_post(request, reverse("dataset_import_sql", args=[project.pk]))
