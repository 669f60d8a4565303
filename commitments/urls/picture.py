from django.urls import path

from commitments.views import picture

urlpatterns = [
    path("rounds/<id:pk>/", picture.round_detail, name="round"),
    path("rounds/<id:pk>/actions/", picture.action_new, name="action_new"),
    path("rounds/<id:pk>/export.csv", picture.round_csv, name="round_csv"),
    path("rounds/<id:pk>/export.xlsx", picture.round_xlsx, name="round_xlsx"),
    path("across/", picture.across_view, name="across"),
]
