"""The Celery app. Configuration comes from Django settings (CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "automl_site.settings")

app = Celery("automl_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.imports = ("automl_site.tasks",)
app.autodiscover_tasks()
