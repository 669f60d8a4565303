from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter

from config.converters import ObjectIdConverter
from missions.views import home

# <id:...> in every URL that names a row (before the apps' URLs are read).
register_converter(ObjectIdConverter, "id")

admin.site.site_header = "ICSM administration"
admin.site.site_title = "ICSM admin"
admin.site.index_title = "HCSS desk"

urlpatterns = [
    path("", home.home, name="home"),
    path("notifications/", home.notification_list, name="notifications"),
    path("notifications/read/", home.notification_read, name="notifications_read"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # A nominated participant new to ICSM sets their password from the invitation e-mail.
    path(
        "account/set-password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "account/set-password/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("missions/", include("missions.urls")),
    path("task-team/", include("missions.urls.prioritisation")),
    path("lessons/", include("missions.urls.lessons")),
    path("commitments/", include("commitments.urls")),
    path("documents/", include("reports.urls")),
    # Published mission reports, for anyone: no login.
    path("reports/", include("reports.urls.public")),
    path("admin/", admin.site.urls),
]
