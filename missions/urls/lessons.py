"""Lessons and good practice, under /lessons/."""

from django.urls import path

from missions.views import lessons

app_name = "lessons"
urlpatterns = [
    path("", lessons.lesson_list, name="list"),
    path("<id:lesson_pk>/", lessons.lesson_detail, name="detail"),
    path("missions/<id:pk>/new/", lessons.lesson_new, name="new"),
]
