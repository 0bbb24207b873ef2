"""The admin screens for datasets, versions and SQL connections: operators see everything and
restore soft-deleted datasets through the service; other staff see what the policy allows;
a connection's credentials never appear on any screen."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import User
from datasets import services
from datasets.models import Dataset, DatasetVersion, SqlConnection
from projects.models import AuditEvent
from tests import factories

SECRET = "Hunter2-very-secret"
URL_WITH_PASSWORD = f"postgresql://reader:{SECRET}@db.example.com:5432/sales"
MODELS = ("dataset", "datasetversion", "sqlconnection")


def admin_url(model, view: str = "changelist", *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def rows(response) -> list:
    return list(response.context["cl"].result_list)


def make_staff(user: User) -> User:
    """Give `user` the admin pages of the dataset models; the policy picks the rows."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    codenames = [f"{verb}_{model}" for model in MODELS for verb in ("view", "change", "delete")]
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="datasets", codename__in=codenames))
    return User.objects.get(pk=user.pk)


@pytest.fixture
def operator_client(client, db):
    operator = User.objects.create_superuser(email="op@example.com", password=factories.PASSWORD)
    client.force_login(operator)
    client.operator = operator
    return client


@pytest.fixture
def data(project, owner):
    """A ready dataset, a soft-deleted one, and a connection with a password."""
    live = factories.make_dataset(project, owner, "Customers")
    gone = factories.make_dataset(project, owner, "Old export", content="a,b\n1,2\n3,4\n", process=False)
    services.delete_dataset(actor=owner, dataset=gone)
    connection = services.create_connection(actor=owner, project=project, name="Sales DB", url=URL_WITH_PASSWORD)
    return {"live": live, "gone": gone, "connection": connection}


def test_operator_sees_every_dataset_and_every_screen_renders(operator_client, data):
    assert set(rows(operator_client.get(admin_url(Dataset)))) == {data["live"], data["gone"]}
    assert rows(operator_client.get(admin_url(Dataset), {"deleted": "yes"})) == [data["gone"]]
    assert len(rows(operator_client.get(admin_url(DatasetVersion)))) == 2
    assert rows(operator_client.get(admin_url(SqlConnection))) == [data["connection"]]
    version = data["live"].latest_version
    for url in (
        admin_url(Dataset, "change", data["live"].pk),
        admin_url(Dataset, "change", data["gone"].pk),
        admin_url(DatasetVersion, "change", version.pk),
        admin_url(SqlConnection, "change", data["connection"].pk),
    ):
        assert operator_client.get(url).status_code == 200, url
    for model in (Dataset, DatasetVersion, SqlConnection):
        assert operator_client.get(admin_url(model, "add")).status_code == 403, model


def test_operator_restores_a_soft_deleted_dataset(operator_client, data):
    gone = data["gone"]
    response = operator_client.post(
        admin_url(Dataset), {"action": "restore_selected", "_selected_action": [gone.pk]}, follow=True
    )
    assert response.status_code == 200
    assert Dataset.objects.filter(pk=gone.pk).exists()
    assert AuditEvent.objects.filter(action="restore", target_type="dataset", target_id=str(gone.pk)).exists()


def test_operator_delete_is_a_soft_delete(operator_client, data):
    live = data["live"]
    response = operator_client.post(admin_url(Dataset, "delete", live.pk), {"post": "yes"})
    assert response.status_code == 302
    stored = Dataset.all_objects.get(pk=live.pk)
    assert stored.is_deleted and stored.deleted_by == operator_client.operator
    assert DatasetVersion.objects.filter(dataset=live).exists()


def test_versions_are_read_only(operator_client, data):
    version = data["live"].latest_version
    page = operator_client.get(admin_url(DatasetVersion, "change", version.pk))
    assert page.context["has_change_permission"] is False and page.context["has_delete_permission"] is False
    assert operator_client.post(admin_url(DatasetVersion, "change", version.pk), {"number": 9}).status_code == 403
    assert DatasetVersion.objects.get(pk=version.pk).number == 1


def test_connection_screens_never_show_credentials(operator_client, data):
    connection = data["connection"]
    for url in (
        admin_url(SqlConnection),
        admin_url(SqlConnection, "change", connection.pk),
        admin_url(SqlConnection, "delete", connection.pk),
        admin_url(SqlConnection, "history", connection.pk),
        admin_url(AuditEvent),
    ):
        body = operator_client.get(url).content.decode()
        assert SECRET not in body and connection.encrypted_url not in body, url
        assert "encrypted" not in body.lower(), url
    assert "reader:***@db.example.com" in operator_client.get(admin_url(SqlConnection)).content.decode()


def test_staff_outsider_sees_no_rows_of_another_workspace(client, outsider, data):
    client.force_login(make_staff(outsider))
    for model in (Dataset, DatasetVersion, SqlConnection):
        assert rows(client.get(admin_url(model))) == [], model
    live = data["live"]
    response = client.get(admin_url(Dataset, "change", live.pk))
    assert (response.status_code, response["Location"]) == (302, reverse("admin:index"))
    client.post(admin_url(Dataset), {"action": "soft_delete_selected", "_selected_action": [live.pk]})
    assert Dataset.objects.filter(pk=live.pk).exists()
    assert "Customers" not in client.get(admin_url(Dataset)).content.decode()


def test_staff_viewer_sees_live_rows_read_only(client, viewer, data):
    client.force_login(make_staff(viewer))
    assert rows(client.get(admin_url(Dataset))) == [data["live"]]
    assert [v.dataset for v in rows(client.get(admin_url(DatasetVersion)))] == [data["live"]]
    assert rows(client.get(admin_url(SqlConnection))) == [data["connection"]]
    assert client.get(admin_url(Dataset, "delete", data["live"].pk)).status_code == 403
    assert client.get(admin_url(SqlConnection, "delete", data["connection"].pk)).status_code == 403
    assert client.get(admin_url(Dataset, "change", data["gone"].pk)).status_code == 302


def test_staff_admin_soft_deletes_but_cannot_restore(client, admin_user, data):
    client.force_login(make_staff(admin_user))
    live = data["live"]
    client.post(admin_url(Dataset), {"action": "soft_delete_selected", "_selected_action": [live.pk]})
    assert Dataset.all_objects.get(pk=live.pk).is_deleted
    response = client.get(admin_url(Dataset))
    assert "restore_selected" not in {name for name, _ in response.context["action_form"].fields["action"].choices}


def test_staff_editor_deletes_a_connection_through_the_service(client, editor, data):
    client.force_login(make_staff(editor))
    connection = data["connection"]
    assert client.get(admin_url(Dataset, "delete", data["live"].pk)).status_code == 403
    response = client.post(admin_url(SqlConnection, "delete", connection.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not SqlConnection.objects.filter(pk=connection.pk).exists()
    assert AuditEvent.objects.filter(action="delete", target_type="sqlconnection").exists()
