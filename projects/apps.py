from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Workspaces and projects"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the sign-up receivers)
