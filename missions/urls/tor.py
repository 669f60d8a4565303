"""URLs of the Terms of Reference, included by missions.urls under /missions/."""

from django.urls import path

from missions.views import tor

urlpatterns = [
    path("<id:pk>/tor/", tor.tor_page, name="tor"),
    path("<id:pk>/tor/start/", tor.tor_start_view, name="tor_start"),
    path("<id:pk>/tor/save/", tor.tor_save_view, name="tor_save"),
    path("<id:pk>/tor/final/", tor.tor_final_view, name="tor_final"),
    path("<id:pk>/tor/versions/<id:number>/", tor.tor_version, name="tor_version"),
]
