from django.urls import path

from missions.views import prioritisation as board

app_name = "task_team"
urlpatterns = [
    path("", board.board, name="board"),
    path("<int:pk>/", board.board_request, name="request"),
    path("<int:pk>/score/", board.board_score, name="score"),
    path("<int:pk>/rank/", board.board_rank, name="rank"),
    path("<int:pk>/decide/", board.board_decide, name="decide"),
]
