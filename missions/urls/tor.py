"""URLs of the Terms of Reference, included by missions.urls under /missions/."""

from django.urls import path

from missions.views import tor

urlpatterns = [
    path("<int:pk>/tor/", tor.tor_page, name="tor"),
    path("<int:pk>/tor/start/", tor.tor_start_view, name="tor_start"),
    path("<int:pk>/tor/save/", tor.tor_save_view, name="tor_save"),
    path("<int:pk>/tor/final/", tor.tor_final_view, name="tor_final"),
    path("<int:pk>/tor/versions/<int:number>/", tor.tor_version, name="tor_version"),
]
