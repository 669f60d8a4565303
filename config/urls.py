from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "ICSM administration"
admin.site.site_title = "ICSM admin"
admin.site.index_title = "HCSS desk"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="missions:list"), name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("missions/", include("missions.urls")),
    path("admin/", admin.site.urls),
]
