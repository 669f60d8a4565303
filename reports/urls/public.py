"""The public face of the mission reports: published reports, their public PDFs and feed."""

from django.urls import path  # noqa: F401

app_name = "public"
urlpatterns: list = []
