"""Distribution and publication of a mission's report, included by reports.urls."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
