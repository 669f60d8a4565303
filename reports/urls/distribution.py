"""Distribution and publication of a mission's report, included by reports.urls."""

from django.urls import path

from reports.views import distribution, publication

urlpatterns = [
    path(
        "missions/<id:mission_pk>/distribution/",
        distribution.distribution_page,
        name="distribution",
    ),
    # A recipient's personal link, from the e-mail: no login.
    path("report/<str:token>/", distribution.delivery_download, name="delivery"),
    path(
        "missions/<id:mission_pk>/publication/",
        publication.publication_page,
        name="publication",
    ),
]
