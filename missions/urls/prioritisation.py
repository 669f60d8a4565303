from django.urls import path

from missions.views import prioritisation as board

app_name = "task_team"
urlpatterns = [
    path("", board.board, name="board"),
    path("<id:pk>/", board.board_request, name="request"),
    path("<id:pk>/score/", board.board_score, name="score"),
    path("<id:pk>/rank/", board.board_rank, name="rank"),
    path("<id:pk>/decide/", board.board_decide, name="decide"),
]
