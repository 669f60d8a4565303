"""The public face of the mission reports: published reports, their public PDFs and feed."""

from django.urls import path

from reports.views import public

app_name = "public"
urlpatterns = [
    path("", public.report_list, name="list"),
    path("feed/", public.PublishedReportsFeed(), name="feed"),
    path("<id:pk>/", public.report_detail, name="detail"),
    path("<id:pk>/pdf/", public.report_pdf, name="pdf"),
]
