from django.urls import include, path

from missions.views import intake, mission, planning

app_name = "missions"
urlpatterns = [
    path("", mission.mission_list, name="list"),
    path("<int:pk>/", mission.mission_detail, name="detail"),
    path("<int:pk>/transition/<str:name>/", mission.mission_transition_view, name="transition"),
    path("new/", intake.request_new, name="new"),
    path("<int:pk>/edit/", intake.request_edit, name="edit"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        intake.attachment_download,
        name="attachment",
    ),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/delete/",
        intake.attachment_delete_view,
        name="attachment_delete",
    ),
    path("<int:pk>/endorse/", intake.endorse_view, name="endorse"),
    path("<int:pk>/comment/", intake.comment_view, name="comment"),
    path("<int:pk>/planning/", planning.planning, name="planning"),
    # Planning, one module per part (no app_name of their own: they share "missions:").
    path("", include("missions.urls.tor")),
    path("", include("missions.urls.team")),
    path("", include("missions.urls.election")),
    path("", include("missions.urls.preparation")),
]
