"""The Django admin: every screen renders for an operator, soft deletion and restore go through
the services, the audit log is read-only, and non-superuser staff only reach the rows the
permission policy lets them see."""

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from guardian.shortcuts import get_perms

from accounts.models import ApiToken, User
from datasets import services as dataset_services
from monitoring.models import PredictionLog
from projects import permissions, services
from projects.models import AuditEvent, Invitation, Membership, Project, Workspace
from tests import factories
from training import services as training_services
from training.models import CandidateRefit, ModelAlias
from training.reporter import JobReporter

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
STAFF_MODELS = ("workspace", "project", "membership", "invitation", "auditevent")


def admin_url(obj_or_model, view: str = "changelist", *args) -> str:
    opts = obj_or_model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def change_url(obj) -> str:
    return admin_url(obj, "change", obj.pk)


def changelist_rows(response) -> list:
    return list(response.context["cl"].result_list)


def offered_actions(response) -> set[str]:
    action_form = response.context["action_form"]  # None when a changelist offers no action at all
    return {name for name, _label in action_form.fields["action"].choices if name} if action_form else set()


def make_staff(user: User) -> User:
    """Give `user` the admin pages of the workspace-side models; the policy picks the rows."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    codenames = [f"{verb}_{model}" for model in STAFF_MODELS for verb in ("view", "change", "delete")]
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="projects", codename__in=codenames))
    return User.objects.get(pk=user.pk)  # fresh: no stale permission cache


@pytest.fixture
def operator(db):
    return User.objects.create_superuser(email="op@example.com", password=factories.PASSWORD)


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


def client_for(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def populated(workspace, owner, project, editor, viewer, sharee):
    """At least one row for every registered model, including soft-deleted ones."""
    services.invite_member(actor=owner, workspace=workspace, email="new@example.com", role="viewer")
    gone = factories.make_project(workspace, owner, "Old experiment")
    services.delete_project(actor=owner, project=gone)
    ApiToken.issue(user=owner, name="laptop")
    EmailAddress.objects.create(user=owner, email=owner.email, verified=True, primary=True)
    Group.objects.create(name="support")
    app = SocialApp.objects.create(provider="github", name="GitHub", client_id="id", secret="secret")
    account = SocialAccount.objects.create(user=owner, provider="github", uid="42")
    SocialToken.objects.create(app=app, account=account, token="token")
    customers = factories.make_dataset(project, owner, "Customers")
    old = factories.make_dataset(project, owner, "Old data", process=False)
    dataset_services.delete_dataset(actor=owner, dataset=old)
    dataset_services.create_connection(
        actor=owner, project=project, name="Warehouse", url="postgresql://reader:pw@db.example.com/sales"
    )
    job = training_services.create_job(actor=owner, project=project, dataset=customers, target="churned")
    job.claim(job.token, "test")
    JobReporter(job).trial(
        {
            "number": 1,
            "key": "hgb_classifier",
            "name": "Histogram gradient boosting",
            "family": "gradient_boosting",
            "phase": "portfolio",
            "params": {},
            "status": "succeeded",
            "score": 0.8,
            "std": 0.01,
            "fold_scores": [0.8],
            "metrics": {},
            "fit_time": 0.1,
            "predict_time": 0.1,
            "duration": 1.0,
            "iterations": 10,
            "weights": {},
            "details": {},
            "error": "",
        }
    )
    version = factories.make_model_version(job, owner)
    ModelAlias.objects.create(project=project, name="production", version=version, updated_by=owner)
    PredictionLog.objects.create(
        project=project, version=version, source="api", rows=1, inputs=[{"a": 1}], outputs={}, latency_ms=3.2
    )
    factories.make_batch(version, owner)
    CandidateRefit.objects.create(job=job, trial=job.trials.get(), created_by=owner)
    return {"workspace": workspace, "project": project, "deleted_project": gone}


# --- Every screen renders for an operator ----------------------------------------------


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_every_changelist_renders_for_an_operator(operator_client, populated, model):
    response = operator_client.get(admin_url(model))
    assert response.status_code == 200
    assert changelist_rows(response), f"{model._meta.label} changelist is empty: the fixture should fill it"


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_every_change_page_renders_for_an_operator(operator_client, operator, populated, model, rf):
    request = rf.get("/")
    request.user = operator
    for obj in admin.site._registry[model].get_queryset(request):
        assert operator_client.get(change_url(obj)).status_code == 200, obj


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_add_page_renders_where_adding_is_allowed(operator_client, operator, model, rf):
    request = rf.get("/")
    request.user = operator
    expected = 200 if admin.site._registry[model].has_add_permission(request) else 403
    assert operator_client.get(admin_url(model, "add")).status_code == expected


def test_no_add_from_the_admin_for_rows_the_app_creates(operator_client):
    for model in (Workspace, Project, Invitation, AuditEvent, ApiToken):
        assert operator_client.get(admin_url(model, "add")).status_code == 403, model


def test_soft_deleted_rows_are_listed_for_operators(operator_client, populated):
    gone = populated["deleted_project"]
    assert gone in changelist_rows(operator_client.get(admin_url(Project)))
    only_deleted = changelist_rows(operator_client.get(admin_url(Project), {"deleted": "yes"}))
    assert only_deleted == [gone]
    assert gone not in changelist_rows(operator_client.get(admin_url(Project), {"deleted": "no"}))
    assert operator_client.get(change_url(gone)).status_code == 200


def test_workspace_changelist_counts_members_and_live_projects(operator_client, populated):
    rows = changelist_rows(operator_client.get(admin_url(Workspace)))
    acme = next(row for row in rows if row.pk == populated["workspace"].pk)
    # owner, editor, viewer; "Old experiment" is soft-deleted and not counted.
    assert (acme._member_count, acme._project_count) == (3, 1)


def test_hashes_never_appear_in_token_or_invitation_screens(operator_client, owner, workspace):
    token, _raw = ApiToken.issue(user=owner, name="ci")
    invitation, _ = services.invite_member(actor=owner, workspace=workspace, email="x@example.com", role="viewer")
    for url in (admin_url(ApiToken), change_url(token), admin_url(Invitation), change_url(invitation)):
        body = operator_client.get(url).content.decode()
        assert token.key_hash not in body and invitation.token_hash not in body, url


# --- Soft delete and restore through the services --------------------------------------


def test_restore_action_brings_a_soft_deleted_project_back(operator_client, owner, project):
    services.delete_project(actor=owner, project=project)
    assert not Project.objects.filter(pk=project.pk).exists()

    response = operator_client.post(
        admin_url(Project), {"action": "restore_selected", "_selected_action": [project.pk]}, follow=True
    )

    assert response.status_code == 200
    assert Project.objects.filter(pk=project.pk).exists()
    assert AuditEvent.objects.filter(action="restore", target_type="project", target_id=str(project.pk)).exists()


def test_restore_action_brings_a_soft_deleted_workspace_back(operator_client, owner, workspace):
    services.delete_workspace(actor=owner, workspace=workspace)

    operator_client.post(admin_url(Workspace), {"action": "restore_selected", "_selected_action": [workspace.pk]})

    assert Workspace.objects.filter(pk=workspace.pk).exists()
    assert AuditEvent.objects.filter(action="restore", target_type="workspace").exists()


def test_deleting_a_project_from_the_admin_is_a_soft_delete(operator_client, operator, project):
    # The operator is no member of the workspace: the services let operators delete anyway.
    response = operator_client.post(admin_url(project, "delete", project.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not Project.objects.filter(pk=project.pk).exists()
    stored = Project.all_objects.get(pk=project.pk)
    assert stored.deleted_at is not None and stored.deleted_by == operator
    assert AuditEvent.objects.filter(action="delete", target_type="project", target_id=str(project.pk)).exists()


def test_soft_delete_action_hides_workspaces_without_losing_them(operator_client, workspace, project):
    operator_client.post(admin_url(Workspace), {"action": "soft_delete_selected", "_selected_action": [workspace.pk]})

    assert not Workspace.objects.filter(pk=workspace.pk).exists()
    assert Workspace.all_objects.get(pk=workspace.pk).is_deleted
    assert Project.all_objects.filter(pk=project.pk).exists()
    assert workspace.memberships.count() == 1
    assert AuditEvent.objects.filter(action="delete", target_type="workspace").exists()


def test_delete_confirmation_lists_no_cascade(operator_client, workspace):
    response = operator_client.get(admin_url(workspace, "delete", workspace.pk))
    assert response.status_code == 200
    assert response.context["deleted_objects"] == [f"Workspace: {workspace} (hidden, restorable by an operator)"]


def test_django_hard_delete_action_is_not_offered(operator_client, populated):
    for model in (Workspace, Project, Membership):
        assert "delete_selected" not in offered_actions(operator_client.get(admin_url(model))), model
    assert {"soft_delete_selected", "restore_selected"} <= offered_actions(operator_client.get(admin_url(Project)))


# --- The audit log is read-only ---------------------------------------------------------


def test_audit_events_cannot_be_added_changed_or_deleted(operator_client, populated):
    event = AuditEvent.objects.first()
    assert operator_client.get(admin_url(AuditEvent, "add")).status_code == 403

    page = operator_client.get(change_url(event))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False and page.context["has_delete_permission"] is False
    assert operator_client.post(change_url(event), {"action": "delete", "target_repr": "x"}).status_code == 403

    assert operator_client.get(admin_url(event, "delete", event.pk)).status_code == 403
    assert operator_client.post(admin_url(event, "delete", event.pk), {"post": "yes"}).status_code == 403
    assert offered_actions(operator_client.get(admin_url(AuditEvent))) == set()
    assert AuditEvent.objects.filter(pk=event.pk, action=event.action).exists()


# --- Non-superuser staff see only what the policy allows --------------------------------


def test_an_outsider_on_the_staff_sees_none_of_another_workspaces_rows(client, outsider, populated):
    staff = make_staff(outsider)
    own_workspace = Workspace.objects.get(memberships__user=staff)
    client_for(client, staff)

    workspaces = changelist_rows(client.get(admin_url(Workspace)))
    assert workspaces == [own_workspace]
    assert changelist_rows(client.get(admin_url(Project))) == []
    assert {m.workspace for m in changelist_rows(client.get(admin_url(Membership)))} == {own_workspace}
    assert changelist_rows(client.get(admin_url(Invitation))) == []
    assert {e.workspace for e in changelist_rows(client.get(admin_url(AuditEvent)))} == {own_workspace}
    # The related-only workspace filter must not leak the other workspace's name either.
    assert populated["workspace"].name not in client.get(admin_url(Project)).content.decode()


def test_an_outsider_on_the_staff_is_redirected_away_from_foreign_change_pages(client, outsider, populated, owner):
    staff = make_staff(outsider)
    workspace, project = populated["workspace"], populated["project"]
    deletable = [workspace, project, populated["deleted_project"]]
    never_deletable_by_staff = [
        Membership.objects.get(workspace=workspace, user=owner),
        Invitation.objects.get(workspace=workspace),
        AuditEvent.objects.filter(workspace=workspace).first(),
    ]
    client_for(client, staff)
    index = reverse("admin:index")
    for obj in deletable + never_deletable_by_staff:
        # Django's admin answers a row outside get_queryset() as "does not exist": a redirect
        # to the index, the same answer as for an id that was never used.
        for view in ("change", "history"):
            response = client.get(admin_url(obj, view, obj.pk))
            assert (response.status_code, response.get("Location")) == (302, index), (obj, view)
        # The delete view checks the model-level permission before looking the row up.
        expected = 302 if obj in deletable else 403
        assert client.get(admin_url(obj, "delete", obj.pk)).status_code == expected, obj
    assert client.post(change_url(project), {"name": "Hijacked"}).status_code == 302
    assert Project.objects.get(pk=project.pk).name == "Churn"


def test_an_outsiders_actions_cannot_touch_foreign_rows(client, outsider, populated):
    staff = make_staff(outsider)
    project = populated["project"]
    client_for(client, staff).post(
        admin_url(Project), {"action": "soft_delete_selected", "_selected_action": [project.pk]}
    )
    assert Project.objects.filter(pk=project.pk).exists()


def test_staff_without_model_permissions_get_no_admin_pages(client, outsider, project):
    outsider.is_staff = True
    outsider.save(update_fields=["is_staff"])
    client_for(client, outsider)
    assert client.get(admin_url(Workspace)).status_code == 403
    assert client.get(change_url(project)).status_code == 403


def test_a_viewer_on_the_staff_sees_the_project_read_only(client, viewer, project):
    client_for(client, make_staff(viewer))
    page = client.get(change_url(project))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert client.post(change_url(project), {"name": "Renamed"}).status_code == 403
    assert client.get(admin_url(project, "delete", project.pk)).status_code == 403
    assert Project.objects.get(pk=project.pk).name == "Churn"


def test_an_editor_on_the_staff_may_change_but_not_delete_a_project(client, editor, project):
    client_for(client, make_staff(editor))
    data = {"name": "Churn v2", "description": "", "problem_type": "classification", "target_column": "churned"}
    response = client.post(change_url(project), {**data, "status": "active"})

    assert response.status_code == 302
    assert Project.objects.get(pk=project.pk).name == "Churn v2"
    event = AuditEvent.objects.get(action="update", target_type="project")
    assert event.actor == editor and event.changes["name"] == ["Churn", "Churn v2"]
    assert client.get(admin_url(project, "delete", project.pk)).status_code == 403


def test_an_editor_on_the_staff_cannot_change_the_workspace(client, editor, workspace):
    client_for(client, make_staff(editor))
    assert client.get(change_url(workspace)).context["has_change_permission"] is False
    assert client.post(change_url(workspace), {"name": "Mine now"}).status_code == 403


def test_an_owner_on_the_staff_soft_deletes_their_project(client, owner, project):
    client_for(client, make_staff(owner))
    client.post(admin_url(Project), {"action": "soft_delete_selected", "_selected_action": [project.pk]})
    assert Project.all_objects.get(pk=project.pk).is_deleted
    # Restoring is for operators: the action is not even offered.
    assert offered_actions(client.get(admin_url(Project))) == {"soft_delete_selected"}


def test_a_sharee_on_the_staff_sees_only_the_shared_project(client, sharee, project, workspace, owner):
    factories.make_project(workspace, owner, "Not shared")
    client_for(client, make_staff(sharee))
    assert changelist_rows(client.get(admin_url(Project))) == [project]
    assert changelist_rows(client.get(admin_url(Workspace))) == []


def test_staff_memberships_are_read_only_even_for_owners(client, owner, workspace, editor):
    client_for(client, make_staff(owner))
    membership = Membership.objects.get(user=editor, workspace=workspace)
    page = client.get(change_url(membership))
    assert page.status_code == 200 and page.context["has_change_permission"] is False
    assert client.post(change_url(membership), {"role": "admin"}).status_code == 403
    assert client.get(admin_url(Membership, "add")).status_code == 403


# --- Object permissions (guardian shares) -----------------------------------------------


def test_operators_share_a_project_from_the_admin_and_it_is_audited(operator_client, project, outsider):
    assert operator_client.get(admin_url(project, "permissions", project.pk)).status_code == 200
    url = reverse("admin:projects_project_permissions_manage_user", args=[project.pk, outsider.pk])
    assert operator_client.get(url).status_code == 200

    response = operator_client.post(url, {"permissions": ["view_project"]})

    assert response.status_code == 302
    assert get_perms(outsider, project) == ["view_project"]
    assert permissions.can(outsider, "view", project)
    event = AuditEvent.objects.get(action="share")
    assert event.changes == {"user": outsider.email, "permissions": [[], ["view_project"]]}


def test_only_operators_reach_the_object_permission_screens(client, owner, project, outsider):
    client_for(client, make_staff(owner))
    assert client.get(admin_url(project, "permissions", project.pk)).status_code == 403
    url = reverse("admin:projects_project_permissions_manage_user", args=[project.pk, outsider.pk])
    assert client.post(url, {"permissions": ["change_project"]}).status_code == 403
    assert get_perms(outsider, project) == []
    assert b"Object permissions" not in client.get(change_url(project)).content


# --- Memberships, tokens and users ------------------------------------------------------


def test_an_operator_changes_a_role_and_it_is_audited(operator_client, workspace, editor):
    membership = Membership.objects.get(user=editor, workspace=workspace)
    assert operator_client.post(change_url(membership), {"role": "admin"}).status_code == 302
    membership.refresh_from_db()
    assert membership.role == "admin"
    event = AuditEvent.objects.get(action="role_change")
    assert event.changes == {"role": ["editor", "admin"], "user": editor.email}


def test_the_last_owner_can_be_neither_demoted_nor_removed(operator_client, workspace, owner):
    membership = Membership.objects.get(user=owner, workspace=workspace)
    response = operator_client.post(change_url(membership), {"role": "viewer"})
    assert response.status_code == 200
    assert "at least one owner" in str(response.context["adminform"].form.errors)
    assert operator_client.post(admin_url(membership, "delete", membership.pk), {"post": "yes"}).status_code == 403
    assert Membership.objects.get(pk=membership.pk).role == "owner"


def test_an_operator_adds_and_removes_a_member_with_audit(operator_client, workspace, outsider):
    response = operator_client.post(
        admin_url(Membership, "add"), {"workspace": workspace.pk, "user": outsider.pk, "role": "editor"}
    )
    assert response.status_code == 302
    membership = Membership.objects.get(workspace=workspace, user=outsider)
    assert AuditEvent.objects.filter(action="create", target_type="membership").exists()

    operator_client.post(admin_url(membership, "delete", membership.pk), {"post": "yes"})
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.get(action="member_remove").changes == {"user": outsider.email, "role": "editor"}


def test_revoke_action_revokes_tokens(operator_client, owner):
    token, raw = ApiToken.issue(user=owner, name="laptop")
    response = operator_client.post(
        admin_url(ApiToken), {"action": "revoke_selected", "_selected_action": [token.pk]}, follow=True
    )
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.status == "revoked"
    listed = changelist_rows(operator_client.get(admin_url(ApiToken), {"status": "revoked"}))
    assert listed == [token]


def test_operator_creates_a_user_with_email_and_password_twice(operator_client):
    password = "a-long-unusual-passphrase-42"
    response = operator_client.post(
        admin_url(User, "add"),
        {"email": "New.Person@Example.com", "usable_password": "true", "password1": password, "password2": password},
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.com")
    assert user.check_password(password) and password not in user.password

    again = operator_client.post(
        admin_url(User, "add"),
        {"email": "NEW.person@example.com", "usable_password": "true", "password1": password, "password2": password},
    )
    assert again.status_code == 200 and "already exists" in str(again.context["adminform"].form.errors)


def test_user_change_page_shows_the_password_hash_widget_and_memberships(operator_client, owner, workspace):
    page = operator_client.get(change_url(owner))
    assert page.status_code == 200
    assert type(page.context["adminform"].form.fields["password"]).__name__ == "ReadOnlyPasswordHashField"
    assert workspace.name in page.content.decode()
    assert operator_client.get(reverse("admin:auth_user_password_change", args=[owner.pk])).status_code == 200


def test_staff_who_may_edit_users_cannot_grant_privileges(client, outsider):
    staff = make_staff(outsider)
    staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="accounts", codename__in=["view_user", "change_user"])
    )
    client_for(client, User.objects.get(pk=staff.pk))
    form = client.get(change_url(staff)).context["adminform"].form
    assert not {"is_superuser", "is_staff", "user_permissions", "groups"} & set(form.fields)
