from django.urls import path

from missions import views

app_name = "missions"
urlpatterns = [
    path("", views.mission_list, name="list"),
    path("<int:pk>/", views.mission_detail, name="detail"),
    path("<int:pk>/transition/<str:name>/", views.mission_transition_view, name="transition"),
]
