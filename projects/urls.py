"""Pages for workspaces, members, invitations, projects, sharing, the audit log and the dashboard."""

from django.urls import path

from .views import audit, dashboard, invitations, members, projects, sharing, workspaces

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    # Workspaces
    path("workspaces/", workspaces.workspace_list, name="workspace_list"),
    path("workspaces/new/", workspaces.workspace_create, name="workspace_create"),
    path("workspaces/<int:pk>/", workspaces.workspace_detail, name="workspace_detail"),
    path("workspaces/<int:pk>/switch/", workspaces.workspace_switch, name="workspace_switch"),
    path("workspaces/<int:pk>/settings/", workspaces.workspace_settings, name="workspace_settings"),
    path("workspaces/<int:pk>/delete/", workspaces.workspace_delete, name="workspace_delete"),
    path("workspaces/<int:pk>/leave/", workspaces.workspace_leave, name="workspace_leave"),
    path("workspaces/<int:pk>/audit/", audit.workspace_audit, name="workspace_audit"),
    # Members and invitations
    path("workspaces/<int:pk>/members/", members.workspace_members, name="workspace_members"),
    path("workspaces/<int:pk>/members/<int:member_pk>/role/", members.member_role, name="member_role"),
    path("workspaces/<int:pk>/members/<int:member_pk>/remove/", members.member_remove, name="member_remove"),
    path("workspaces/<int:pk>/invitations/", members.invitation_create, name="invitation_create"),
    path("workspaces/<int:pk>/invitations/<int:inv_pk>/revoke/", members.invitation_revoke, name="invitation_revoke"),
    path("invitations/id/<int:pk>/accept/", invitations.invitation_accept_own, name="invitation_accept_own"),
    path("invitations/<str:token>/", invitations.invitation_accept, name="invitation_accept"),
    # Projects
    path("workspaces/<int:pk>/projects/new/", projects.project_create, name="project_create"),
    path("projects/<int:pk>/", projects.project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", projects.project_edit, name="project_edit"),
    path("projects/<int:pk>/archive/", projects.project_archive, name="project_archive"),
    path("projects/<int:pk>/delete/", projects.project_delete, name="project_delete"),
    path("projects/<int:pk>/sharing/", sharing.project_sharing, name="project_sharing"),
    path("projects/<int:pk>/sharing/<int:user_pk>/remove/", sharing.project_unshare, name="project_unshare"),
]
