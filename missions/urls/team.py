"""URLs of the team (invitations, nominations, the team page), included by missions.urls
under /missions/."""

from django.urls import path

from missions.views import team

urlpatterns = [
    path("<int:pk>/invitations/", team.invitations, name="invitations"),
    path(
        "<int:pk>/invitations/<int:invitation_pk>/",
        team.invitation,
        name="invitation",
    ),
    path("<int:pk>/nominations/new/", team.nomination_new, name="nomination_new"),
    path("<int:pk>/nominations/<int:nomination_pk>/", team.nomination, name="nomination"),
    path(
        "<int:pk>/nominations/<int:nomination_pk>/decide/",
        team.nomination_decide_view,
        name="nomination_decide",
    ),
    path(
        "<int:pk>/nominations/<int:nomination_pk>/withdraw/",
        team.nomination_withdraw_view,
        name="nomination_withdraw",
    ),
    path(
        "<int:pk>/nominations/<int:nomination_pk>/account-invitation/",
        team.nomination_account_invitation_view,
        name="nomination_account_invitation",
    ),
    path("<int:pk>/team/", team.team, name="team"),
    path("<int:pk>/team/confirm/", team.team_confirm_view, name="team_confirm"),
]
