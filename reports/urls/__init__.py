"""PDF documents (ToR, report, follow-up status reports): progress and download."""

from django.urls import include, path

from reports.views import document as views

app_name = "reports"
urlpatterns = [
    path("missions/<id:mission_pk>/tor/", views.tor_document_page, name="tor"),
    path("missions/<id:mission_pk>/report/", views.report_document_page, name="report"),
    path(
        "missions/<id:mission_pk>/follow-up-status/",
        views.followup_status_page,
        name="followup_status",
    ),
    path("<id:pk>/download/", views.document_download, name="download"),
    path("", include("reports.urls.distribution")),
]
