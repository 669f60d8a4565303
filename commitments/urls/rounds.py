from django.urls import path

from commitments.views import rounds

urlpatterns = [
    path("clusters/<id:pk>/", rounds.cluster, name="cluster"),
    path("clusters/<id:pk>/rounds/new/", rounds.round_new, name="round_new"),
    path("rounds/<id:pk>/close/", rounds.round_close_view, name="round_close"),
]
