from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter
from django.utils.translation import gettext_lazy as _

from clusters.views import language, password, security
from config.converters import ObjectIdConverter
from missions.views import home

# <id:...> in every URL that names a row (before the apps' URLs are read).
register_converter(ObjectIdConverter, "id")

admin.site.site_header = _("ICSM administration")
admin.site.site_title = _("ICSM admin")
admin.site.index_title = _("HCSS desk")

urlpatterns = [
    path("", home.home, name="home"),
    path("notifications/", home.notification_list, name="notifications"),
    path("notifications/read/", home.notification_read, name="notifications_read"),
    path("language/", language.language_switch, name="set_language"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Forgotten passwords: a link by e-mail, to the page that sets one (below).
    path(
        "account/password-reset/",
        password.PasswordResetRequestView.as_view(),
        name="password_reset",
    ),
    path(
        "account/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path("account/password/", password.PasswordChangeView.as_view(), name="password_change"),
    path(
        "account/password/done/",
        password.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("account/security/", security.security, name="security"),
    path("account/two-factor/", security.two_factor_verify, name="two_factor_verify"),
    path("account/two-factor/setup/", security.two_factor_setup, name="two_factor_setup"),
    path(
        "account/two-factor/backup-codes/",
        security.two_factor_backup_codes,
        name="two_factor_backup_codes",
    ),
    path("account/two-factor/remove/", security.two_factor_remove, name="two_factor_remove"),
    # A nominated participant new to ICSM sets their password from the invitation e-mail;
    # anyone who forgot theirs, from the reset e-mail.
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
