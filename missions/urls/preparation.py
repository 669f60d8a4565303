"""URLs of the mission's preparation (cross-cutting issues, logistics), included by
missions.urls under /missions/ in the "missions" namespace."""

from django.urls import path

from missions.views import preparation

urlpatterns = [
    path("<int:pk>/issues/", preparation.issues, name="issues"),
    path(
        "<int:pk>/issues/<int:issue_pk>/",
        preparation.issue_coverage,
        name="issue_coverage",
    ),
    path(
        "<int:pk>/issues/<int:issue_pk>/briefing/",
        preparation.briefing,
        name="briefing",
    ),
    path("<int:pk>/logistics/", preparation.logistics, name="logistics"),
]
