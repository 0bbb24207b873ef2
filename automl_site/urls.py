"""Top-level URLs: pages, allauth, the API and its docs, the admin and a health check."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from . import views

urlpatterns = [
    path("admin/", admin.site.urls),
    # Our account pages (profile, tokens) first, so they win over allauth's on shared prefixes.
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include("automl_site.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("healthz/", views.health, name="health"),
    path("", include("projects.urls")),
    path("", include("datasets.urls")),
    path("", include("training.urls")),
]

handler400 = "automl_site.views.bad_request"
handler403 = "automl_site.views.permission_denied"
handler404 = "automl_site.views.page_not_found"
handler500 = "automl_site.views.server_error"
