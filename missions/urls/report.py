"""URLs of the mission report's text and distribution list, included by missions.urls under
/missions/. Its PDF, distribution and publication are the reports app's."""

from django.urls import path

from missions.views import report

urlpatterns = [
    path("<id:pk>/report/", report.report_page, name="report"),
    path("<id:pk>/report/start/", report.report_start_view, name="report_start"),
    path("<id:pk>/report/save/", report.report_save_view, name="report_save"),
    path("<id:pk>/report/final/", report.report_final_view, name="report_final"),
    path(
        "<id:pk>/report/versions/<id:number>/",
        report.report_version_view,
        name="report_version",
    ),
    path(
        "<id:pk>/report/recipients/add/",
        report.recipient_add_view,
        name="recipient_add",
    ),
    path(
        "<id:pk>/report/recipients/<id:recipient_pk>/remove/",
        report.recipient_remove_view,
        name="recipient_remove",
    ),
]
