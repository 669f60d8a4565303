from django.urls import include, path

from missions.views import intake, mission, planning

app_name = "missions"
urlpatterns = [
    path("", mission.mission_list, name="list"),
    path("<id:pk>/", mission.mission_detail, name="detail"),
    path("<id:pk>/transition/<str:name>/", mission.mission_transition_view, name="transition"),
    path("new/", intake.request_new, name="new"),
    path("<id:pk>/edit/", intake.request_edit, name="edit"),
    path(
        "<id:pk>/attachments/<id:attachment_pk>/",
        intake.attachment_download,
        name="attachment",
    ),
    path(
        "<id:pk>/attachments/<id:attachment_pk>/delete/",
        intake.attachment_delete_view,
        name="attachment_delete",
    ),
    path("<id:pk>/endorse/", intake.endorse_view, name="endorse"),
    path("<id:pk>/comment/", intake.comment_view, name="comment"),
    path("<id:pk>/planning/", planning.planning, name="planning"),
    # Planning, one module per part (no app_name of their own: they share "missions:").
    path("", include("missions.urls.tor")),
    path("", include("missions.urls.team")),
    path("", include("missions.urls.election")),
    path("", include("missions.urls.preparation")),
    path("", include("missions.urls.followup")),
    path("", include("missions.urls.report")),
]
