"""The Task Team board: scoring arithmetic, ranking with ties and adjustments, decisions."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django.asserts import assertContains

from clusters.models import Role
from clusters.services import role_grant
from missions.models import Mission, RankAdjustment, Score, ScoringCriterion
from missions.services.prioritisation import (
    BoardRow,
    rank_rows,
    request_score,
    score_record,
    task_team_board,
)
from tests.factories import UserFactory, make_mission


@pytest.fixture
def criteria(db):
    """Two criteria instead of the seeded ones, to make the arithmetic plain."""
    ScoringCriterion.objects.update(active=False)
    return [
        ScoringCriterion.objects.create(name="Urgency", weight=3, scale_max=5),
        ScoringCriterion.objects.create(name="Agreement", weight=1, scale_max=4),
    ]


@pytest.fixture
def members(db):
    users = []
    for n in range(3):
        user = UserFactory(username=f"tt{n}")
        role_grant(user, Role.TASK_TEAM)
        users.append(user)
    return users


def board_mission(**fields):
    mission = make_mission("PAK", status="with_task_team", **fields)
    mission.scores.all().delete()  # the factory's scorecard: not wanted here
    return mission


def row_for(user, mission):
    return next(r for r in task_team_board(user) if r.mission.pk == mission.pk)


class TestScoring:
    def test_score_is_the_weighted_mean_over_members_on_0_to_100(self, criteria, members):
        urgency, agreement = criteria
        mission = board_mission()
        # member 0: 3*(5/5) + 1*(2/4) = 3.5 of 4 -> 87.5; member 1: 3*(1/5) + 1*(4/4) = 1.6 -> 40
        score_record(mission, members[0], {urgency.pk: 5, agreement.pk: 2})
        score_record(mission, members[1], {urgency.pk: 1, agreement.pk: 4})
        row = row_for(members[2], mission)
        assert row.scored_by == 2
        assert row.score == Decimal("63.8")  # (87.5 + 40) / 2 = 63.75, rounded half up

    def test_the_scores_of_a_retired_criterion_no_longer_count(self, criteria, members):
        urgency, agreement = criteria
        mission = board_mission()
        score_record(mission, members[0], {urgency.pk: 5, agreement.pk: 0})
        # Retired, then a new criterion that member 1 alone has scored.
        agreement.active = False
        agreement.save()
        reach = ScoringCriterion.objects.create(name="Reach", weight=1, scale_max=2)
        score_record(mission, members[1], {urgency.pk: 0, reach.pk: 2})
        row = row_for(members[2], mission)
        # member 0: 3*(5/5) = 3 of 4 -> 75; member 1: 3*(0/5) + 1*(2/2) = 1 of 4 -> 25.
        assert (row.scored_by, row.score) == (2, Decimal("50.0"))

    def test_a_member_revises_their_scores_instead_of_adding(self, criteria, members):
        urgency, agreement = criteria
        mission = board_mission()
        score_record(mission, members[0], {urgency.pk: 0, agreement.pk: 0})
        score_record(mission, members[0], {urgency.pk: 5, agreement.pk: 4})
        assert Score.objects.filter(mission=mission, member=members[0]).count() == 2
        row = row_for(members[0], mission)
        assert (row.scored_by, row.score) == (1, Decimal("100.0"))
        assert row.scored_by_me

    def test_every_criterion_needs_a_value_within_its_scale(self, criteria, members):
        urgency, agreement = criteria
        mission = board_mission()
        with pytest.raises(ValidationError) as error:
            score_record(mission, members[0], {urgency.pk: 6})
        assert set(error.value.message_dict) == {str(urgency.pk), str(agreement.pk)}
        assert not Score.objects.filter(mission=mission).exists()

    def test_only_the_task_team_scores(self, criteria, cast):
        mission = board_mission()
        with pytest.raises(PermissionDenied):
            score_record(mission, cast["hcss"], {c.pk: 1 for c in criteria})

    def test_scores_are_frozen_once_decided(self, criteria, members):
        mission = board_mission()
        Mission.objects.filter(pk=mission.pk).update(status="approved")
        with pytest.raises(ValidationError, match="decided"):
            score_record(mission, members[0], {c.pk: 1 for c in criteria})

    def test_unscored_request_has_no_score(self):
        assert request_score(None, 0, 4) is None


def _row(pk, score, submitted_days_ago, adjustment=0):
    mission = Mission(pk=pk, title=f"m{pk}")
    mission.submitted_at = timezone.now() - datetime.timedelta(days=submitted_days_ago)
    return BoardRow(
        mission=mission,
        score=score,
        scored_by=1 if score else 0,
        adjustment=adjustment,
        adjustment_reason="",
    )


class TestRanking:
    def test_ranked_by_score_with_unscored_last(self):
        rows = rank_rows([_row(1, None, 9), _row(2, Decimal(40), 1), _row(3, Decimal(80), 1)])
        assert [(r.mission.pk, r.rank) for r in rows] == [(3, 1), (2, 2), (1, 3)]

    def test_equal_scores_the_request_waiting_longer_comes_first(self):
        rows = rank_rows(
            [_row(1, Decimal(50), 2), _row(2, Decimal(50), 20), _row(3, Decimal(50), 5)]
        )
        assert [r.mission.pk for r in rows] == [2, 3, 1]

    def test_adjustment_moves_a_request_up_past_others(self):
        rows = rank_rows(
            [
                _row(1, Decimal(90), 1),
                _row(2, Decimal(80), 1),
                _row(3, Decimal(10), 1, adjustment=2),
            ]
        )
        assert [r.mission.pk for r in rows] == [3, 1, 2]
        assert rows[0].score_rank == 3

    def test_adjustment_down(self):
        rows = rank_rows([_row(1, Decimal(90), 1, adjustment=-1), _row(2, Decimal(80), 1)])
        assert [r.mission.pk for r in rows] == [2, 1]


class TestBoardPages:
    def test_board_lists_forwarded_and_deferred_requests_ranked(self, client, cast):
        high = make_mission("PAK", status="with_task_team", title="High")
        deferred = make_mission("NPL", status="deferred", title="Deferred one")
        make_mission("PAK", status="approved", title="Already approved")
        client.force_login(cast["task_team"])
        response = client.get("/task-team/")
        assert response.status_code == 200
        body = response.content.decode()
        assert "High" in body and "Deferred one" in body
        assert "Already approved" not in body
        assert [r.mission.pk for r in response.context["rows"]] == sorted(
            [high.pk, deferred.pk], key=lambda pk: [high.pk, deferred.pk].index(pk)
        )

    def test_hcss_sees_the_board_read_only(self, client, cast):
        mission = make_mission("PAK", status="with_task_team")
        client.force_login(cast["hcss"])
        assert client.get("/task-team/").status_code == 200
        page = client.get(f"/task-team/{mission.pk}/")
        assert page.status_code == 200
        assert b"Record the decision" not in page.content
        response = client.post(
            f"/task-team/{mission.pk}/decide/", {"decision": "decline", "reason": "x"}
        )
        assertContains(response, "You may not take the step", status_code=403)
        mission.refresh_from_db()
        assert mission.status == "with_task_team"

    @pytest.mark.parametrize("who", ["rc_hc_pakistan", "gcc", "outsider", "hct_pakistan"])
    def test_others_get_404(self, client, cast, who):
        mission = make_mission("PAK", status="with_task_team")
        client.force_login(cast[who])
        assert client.get("/task-team/").status_code == 404
        assert client.get(f"/task-team/{mission.pk}/").status_code == 404
        assert client.post(f"/task-team/{mission.pk}/score/", {}).status_code == 404

    def test_a_request_not_on_the_board_is_404(self, client, cast):
        mission = make_mission("PAK", status="submitted")
        client.force_login(cast["task_team"])
        assert client.get(f"/task-team/{mission.pk}/").status_code == 404

    def test_the_scoring_page_puts_the_evidence_the_criteria_ask_about_in_front(self, client, cast):
        from missions.models import Attachment

        mission = board_mission()
        Mission.objects.filter(pk=mission.pk).update(
            hct_endorsement_record="Minutes of the HCT of 3 May.",
            security_constraints="Road travel to the north needs an escort.",
            planned_evaluations="An IAHE in the autumn.",
        )
        Attachment.objects.create(
            mission=mission,
            kind=Attachment.Kind.HCT_MINUTES,
            file="attachments/x.pdf",
            original_name="hct-minutes-may.pdf",
            content_type="application/pdf",
            size=1200,
        )
        client.force_login(cast["task_team"])

        page = client.get(f"/task-team/{mission.pk}/").content.decode()

        for text in (
            "Minutes of the HCT of 3 May.",
            "Road travel to the north needs an escort.",
            "An IAHE in the autumn.",
            "hct-minutes-may.pdf",
        ):
            assert text in page, text

    def test_scoring_from_the_page(self, client, cast):
        mission = board_mission()
        criteria = list(ScoringCriterion.objects.filter(active=True))
        client.force_login(cast["task_team"])
        data = {f"c{c.pk}": c.scale_max for c in criteria}
        response = client.post(f"/task-team/{mission.pk}/score/", data)
        assert response.status_code == 302
        assert Score.objects.filter(mission=mission, member=cast["task_team"]).count() == len(
            criteria
        )
        missing = dict(data)
        missing.pop(f"c{criteria[0].pk}")
        response = client.post(f"/task-team/{mission.pk}/score/", missing)
        assert response.status_code == 200
        assert f"Give a score for “{criteria[0].name}”." in response.content.decode()

    def test_approve_needs_focus_and_tor_and_keeps_the_decision_record(self, client, cast):
        mission = make_mission("PAK", status="with_task_team", agreed_focus="", draft_tor="")
        client.force_login(cast["task_team"])
        response = client.post(
            f"/task-team/{mission.pk}/decide/",
            {
                "decision": "approve",
                "agreed_focus": "",
                "draft_tor": "A draft",
                "expected_status": "with_task_team",
            },
        )
        assert response.status_code == 200
        assert "Needed to approve." in response.content.decode()
        assert "A draft" in response.content.decode()
        mission.refresh_from_db()
        assert mission.status == "with_task_team"

        response = client.post(
            f"/task-team/{mission.pk}/decide/",
            {
                "decision": "approve",
                "agreed_focus": "HCT and clusters",
                "draft_tor": "A draft",
                "expected_status": "with_task_team",
            },
        )
        assert response.status_code == 302
        mission.refresh_from_db()
        assert mission.status == "approved"
        assert mission.agreed_focus == "HCT and clusters"
        assert mission.priority_rank == 1
        assert mission.priority_score is not None
        assert mission.log.get(transition="approve").user == cast["task_team"]

    def test_approve_refused_without_any_score(self, client, cast):
        mission = board_mission()
        client.force_login(cast["task_team"])
        response = client.post(
            f"/task-team/{mission.pk}/decide/",
            {"decision": "approve", "agreed_focus": "F", "draft_tor": "T"},
        )
        assert response.status_code == 200
        assert "score the request first" in response.content.decode()
        mission.refresh_from_db()
        assert mission.status == "with_task_team"
        assert mission.agreed_focus != "F"  # a refused decision keeps nothing

    def test_defer_needs_reason_and_future_date(self, client, cast):
        mission = make_mission("PAK", status="with_task_team")
        client.force_login(cast["task_team"])
        response = client.post(
            f"/task-team/{mission.pk}/decide/",
            {"decision": "defer", "reason": "", "revisit_on": "2000-01-01"},
        )
        body = response.content.decode()
        assert "Give the reason for the decision." in body
        assert "The date must be in the future." in body
        later = (timezone.localdate() + datetime.timedelta(days=20)).isoformat()
        client.post(
            f"/task-team/{mission.pk}/decide/",
            {"decision": "defer", "reason": "No capacity", "revisit_on": later},
        )
        mission.refresh_from_db()
        assert (mission.status, mission.revisit_on.isoformat()) == ("deferred", later)

    def test_rank_adjustment_needs_a_reason_and_is_logged(self, client, cast):
        mission = make_mission("PAK", status="with_task_team")
        client.force_login(cast["task_team"])
        response = client.post(f"/task-team/{mission.pk}/rank/", {"places": 2, "reason": ""})
        assert response.status_code == 200
        assert "Say why the rank is adjusted." in response.content.decode()
        assert not RankAdjustment.objects.exists()
        client.post(f"/task-team/{mission.pk}/rank/", {"places": 2, "reason": "Urgent now"})
        adjustment = RankAdjustment.objects.get()
        assert (adjustment.places, adjustment.user, adjustment.reason) == (
            2,
            cast["task_team"],
            "Urgent now",
        )

    @pytest.mark.parametrize("bad", ["x", "999", ""])
    def test_bad_rank_input_is_a_field_error_not_a_500(self, client, cast, bad):
        mission = make_mission("PAK", status="with_task_team")
        client.force_login(cast["task_team"])
        response = client.post(f"/task-team/{mission.pk}/rank/", {"places": bad, "reason": "r"})
        assert response.status_code == 200
        assert not RankAdjustment.objects.exists()

    def test_board_query_count_does_not_grow_with_requests(self, client, cast):
        client.force_login(cast["task_team"])

        def count():
            with CaptureQueriesContext(connection) as queries:
                assert client.get("/task-team/").status_code == 200
            return len(queries)

        for _ in range(5):
            make_mission("PAK", status="with_task_team")
        few = count()
        for _ in range(45):
            make_mission("NPL", status="deferred")
        assert count() == few


def test_the_board_shows_fifty_ranks_a_page_ranked_as_a_whole(client, cast):
    for _ in range(52):
        make_mission("PAK", status="with_task_team")
    client.force_login(cast["task_team"])
    first = client.get("/task-team/")
    assert [r.rank for r in first.context["page"].object_list] == list(range(1, 51))
    assertContains(first, "Ranks 1 to 50 of 52")
    second = client.get("/task-team/", {"page": 2})
    assert [r.rank for r in second.context["page"].object_list] == [51, 52]
    assertContains(second, 'rel="prev"')
    # Anything typed as a page number gives a page, never an error.
    assert client.get("/task-team/", {"page": "x"}).status_code == 200


def test_the_board_aggregates_the_scores_per_request_not_the_whole_mission_rows(cast):
    """The scores are summed per mission in one query of their own, grouped by mission only:
    the board's query neither groups the mission rows (with every column) with every score
    row nor reads the scores again for each request."""
    make_mission("PAK", status="with_task_team")
    with CaptureQueriesContext(connection) as queries:
        task_team_board(cast["task_team"])
    [board] = [q["sql"] for q in queries if 'FROM "missions_mission"' in q["sql"]]
    outer = board[board.rindex('FROM "missions_mission"') :]
    assert "GROUP BY" not in outer and "missions_score" not in board
    [scores] = [q["sql"] for q in queries if "SUM(" in q["sql"]]
    # Grouped by the mission alone (by name, or by its place in the SELECT: 1).
    assert scores.split("GROUP BY")[1].strip() in ('"missions_score"."mission_id"', "1")
    assert 'FROM "missions_score"' in scores and "missions_mission" not in scores
    # The criteria's weights come from the criteria read once, not from a join on every score.
    assert "missions_scoringcriterion" not in scores


def test_the_board_page_reads_the_criteria_once(client, cast):
    make_mission("PAK", status="with_task_team")
    client.force_login(cast["task_team"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/task-team/")
    assert response.status_code == 200
    assert len([q for q in queries if 'FROM "missions_scoringcriterion"' in q["sql"]]) == 1


def test_a_board_row_escapes_what_was_typed_and_reads_in_the_users_language(client, cast):
    """The rows are written by a template tag, not the template: they escape as it would
    and keep its plurals, score bar, links and badges."""
    mission = make_mission(
        "PAK",
        status="deferred",
        title="<script>alert(1)</script> & co",
        decision_reason="Later.",
        revisit_on=datetime.date(2031, 3, 4),
    )
    criterion = ScoringCriterion.objects.filter(active=True).first()
    Score.objects.update_or_create(
        mission=mission,
        member=cast["task_team"],
        criterion=criterion,
        defaults={"value": criterion.scale_max},
    )
    RankAdjustment.objects.create(
        mission=mission, user=cast["task_team"], places=-2, reason='"Wait" <b>'
    )
    client.force_login(cast["task_team"])
    html = client.get("/task-team/").content.decode()
    row = html[html.index(f'href="/task-team/{mission.pk}/"') :].split("</tr>")[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in row and "<script>" not in row
    assert 'title="&quot;Wait&quot; &lt;b&gt;">moved down 2</span>' in html
    assert '<span class="badge deferred">Deferred</span>' in row
    assert "revisit 4 Mar 2031" in row
    assert re.search(r'<td data-label="Scored by">\d+ members?</td>', row)
    assert '<span class="scorebar" role="img" aria-label="Score ' in row
    client.cookies["icsm_language"] = "fr"
    french = client.get("/task-team/").content.decode()
    assert "Reportée" in french and "réexamen le 4" in french and "rangs" in french
