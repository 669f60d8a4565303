"""URLs of the follow-up, included by missions.urls (so under /missions/) in the "missions"
namespace: one mission's tracker and what is posted to it under /missions/<pk>/follow-up/,
the rest (the tracker across missions, points, plans, evidence, exports, the calendar) under
/missions/follow-up/."""

from django.urls import path

from missions.views import followup

urlpatterns = [
    # One mission.
    path("<id:pk>/follow-up/", followup.tracker_mission, name="tracker_mission"),
    path("<id:pk>/follow-up/points/new/", followup.action_point_new, name="action_point_new"),
    path("<id:pk>/follow-up/points/open/", followup.points_open_all_view, name="points_open_all"),
    path("<id:pk>/follow-up/carry/", followup.points_carry_view, name="points_carry"),
    path("<id:pk>/follow-up/plans/new/", followup.plan_new, name="plan_new"),
    # Across missions.
    path("follow-up/", followup.tracker, name="tracker"),
    path("follow-up/export.csv", followup.tracker_csv, name="tracker_csv"),
    path("follow-up/export.xlsx", followup.tracker_xlsx, name="tracker_xlsx"),
    path("follow-up/mine/", followup.my_points, name="my_points"),
    path("follow-up/points/<id:pk>/", followup.action_point, name="action_point"),
    path("follow-up/points/<id:pk>/edit/", followup.action_point_edit, name="action_point_edit"),
    path(
        "follow-up/points/<id:pk>/transition/<str:name>/",
        followup.action_point_transition,
        name="action_point_transition",
    ),
    path(
        "follow-up/points/<id:pk>/progress/",
        followup.action_point_progress,
        name="action_point_progress",
    ),
    path("follow-up/evidence/<id:pk>/", followup.evidence, name="evidence"),
    path("follow-up/plans/<id:pk>/", followup.plan, name="plan"),
    path("follow-up/plans/<id:pk>/comments/", followup.plan_comment_view, name="plan_comment"),
    path("follow-up/calendar/", followup.calendar_settings, name="calendar_settings"),
    path("follow-up/calendar/<str:token>.ics", followup.calendar_feed, name="calendar"),
]
