from django.urls import path

from missions.views import mission

app_name = "missions"
urlpatterns = [
    path("", mission.mission_list, name="list"),
    path("<int:pk>/", mission.mission_detail, name="detail"),
    path("<int:pk>/transition/<str:name>/", mission.mission_transition_view, name="transition"),
]
