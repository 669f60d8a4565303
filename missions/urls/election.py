"""URLs of the leader's election, included by missions.urls under /missions/."""

from django.urls import path

from missions.views import election

urlpatterns = [
    path("<int:pk>/election/", election.election_page, name="election"),
    path("<int:pk>/election/open/", election.election_open_view, name="election_open"),
    path("<int:pk>/election/deadline/", election.election_extend_view, name="election_extend"),
    path("<int:pk>/election/agreed/", election.election_agree_view, name="election_agree"),
    path("<int:pk>/election/stand/", election.election_stand_view, name="election_stand"),
    path("<int:pk>/election/withdraw/", election.election_withdraw_view, name="election_withdraw"),
    path("<int:pk>/election/vote/", election.election_vote_view, name="election_vote"),
    path("<int:pk>/election/close/", election.election_close_view, name="election_close"),
]
