"""URLs of the mission's preparation (cross-cutting issues, logistics), included by
missions.urls under /missions/ in the "missions" namespace."""

from django.urls import path

from missions.views import preparation

urlpatterns = [
    path("<id:pk>/issues/", preparation.issues, name="issues"),
    path(
        "<id:pk>/issues/<id:issue_pk>/",
        preparation.issue_coverage,
        name="issue_coverage",
    ),
    path(
        "<id:pk>/issues/<id:issue_pk>/briefing/",
        preparation.briefing,
        name="briefing",
    ),
    path("<id:pk>/logistics/", preparation.logistics, name="logistics"),
]
