"""PDF documents (ToR, reports): progress and download."""

from django.urls import include, path

from reports.views import document as views

app_name = "reports"
urlpatterns = [
    path("missions/<id:mission_pk>/tor/", views.tor_document_page, name="tor"),
    path("<id:pk>/download/", views.document_download, name="download"),
    path("", include("reports.urls.distribution")),
]
