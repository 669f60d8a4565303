"""The commitments pages, under /commitments/ in the "commitments" namespace; one module per
stage (they share the namespace)."""

from django.urls import include, path

from commitments.views import rounds

app_name = "commitments"
urlpatterns = [
    path("", rounds.index, name="index"),
    path("", include("commitments.urls.framework")),
    path("", include("commitments.urls.rounds")),
    path("", include("commitments.urls.assessment")),
    path("", include("commitments.urls.picture")),
]
