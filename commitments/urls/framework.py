from django.urls import path

from commitments.views import framework

urlpatterns = [
    path("framework/", framework.framework, name="framework"),
]
