"""The forms on the web: a refusal comes back next to the field with what was typed, and
nothing changes; what the home page shows a partner and a coordinator; the admin."""

import datetime
import re

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from commitments.models import Answer, ClusterAction, Round
from tests.commitments.factories import fill_round, items_of, open_round, today


@pytest.fixture
def round_(pakistan):
    return open_round(pakistan.cluster, pakistan.coordinator)


def test_opening_a_round_from_the_form(client, pakistan, mailoutbox):
    client.force_login(pakistan.coordinator)
    page = client.get(reverse("commitments:round_new", args=[pakistan.cluster.pk]))
    assertContains(page, pakistan.organisations[0].name)
    data = {
        "period_start": (today() - datetime.timedelta(days=100)).isoformat(),
        "period_end": today().isoformat(),
        "closes_on": (today() + datetime.timedelta(days=20)).isoformat(),
        "framework": page.context["form"]["framework"].initial.pk,
        "organisations": [o.pk for o in pakistan.organisations[:3]],
    }
    response = client.post(reverse("commitments:round_new", args=[pakistan.cluster.pk]), data)
    round_ = Round.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "commitments:round", args=[round_.pk]
    )
    assert round_.assessments.count() == 3


def test_a_refused_round_keeps_what_was_typed(client, pakistan):
    client.force_login(pakistan.coordinator)
    data = {
        "period_start": "2026-01-01",
        "period_end": "2025-01-01",
        "closes_on": "not a date",
        "organisations": [pakistan.organisations[0].pk],
    }
    response = client.post(reverse("commitments:round_new", args=[pakistan.cluster.pk]), data)
    assert response.status_code == 400
    assertContains(response, "Give the date as YYYY-MM-DD.", status_code=400)
    assertContains(response, 'value="2026-01-01"', status_code=400)
    assert not Round.objects.exists()


def test_the_partner_saves_a_draft_and_submits_from_the_form(client, round_, pakistan):
    own = round_.assessments.get(organisation=pakistan.organisations[0])
    items = items_of(round_)
    client.force_login(pakistan.partner)
    url = reverse("commitments:assessment", args=[own.pk])
    page = client.get(url)
    assertContains(page, "Interpretation in an appropriate language")
    assertContains(page, "Save the draft")
    draft = {f"rating_{items[0].pk}": "met", f"evidence_{items[0].pk}": "Minutes.", "save": "1"}
    assert client.post(url, draft).status_code == 302
    assert Answer.objects.get(assessment=own, item=items[0]).evidence == "Minutes."

    # Submitting with one item unanswered: the page comes back with all that was typed.
    data = {f"rating_{item.pk}": "partly" for item in items[:-1]}
    data.update(
        {"obstacles": ["access_language"], "what_would_help": "Urdu minutes.", "submit": "1"}
    )
    response = client.post(url, data)
    assert response.status_code == 400
    assertContains(response, "Answer this before submitting", status_code=400)
    assertContains(response, "Urdu minutes.", status_code=400)
    checked = rf'name="rating_{items[1].pk}" value="partly"[^>]*checked'
    assert re.search(checked, response.content.decode())
    own.refresh_from_db()
    assert own.status == "draft" and own.what_would_help == ""

    data[f"rating_{items[-1].pk}"] = "not_applicable"
    assert client.post(url, data).status_code == 302
    own.refresh_from_db()
    assert own.status == "submitted"
    page = client.get(url)
    assertNotContains(page, "Save the draft")
    assertContains(page, "This self-assessment is submitted")


def test_posting_to_a_closed_round_says_so_and_changes_nothing(client, round_, pakistan):
    from commitments.services.rounds import round_close

    own = round_.assessments.get(organisation=pakistan.organisations[0])
    round_close(round_, pakistan.coordinator)
    client.force_login(pakistan.partner)
    item = items_of(round_)[0]
    response = client.post(
        reverse("commitments:assessment", args=[own.pk]), {f"rating_{item.pk}": "met", "save": "1"}
    )
    assert response.status_code == 409
    assertContains(response, "The round closed on", status_code=409)
    assert not Answer.objects.filter(assessment=own).exists()


def test_the_coordinator_records_an_action_and_a_refusal_comes_back_at_its_field(
    client, round_, pakistan
):
    fill_round(round_, [("M" * 10 + "N", "M" * 5)] * 3)
    client.force_login(pakistan.coordinator)
    url = reverse("commitments:action_new", args=[round_.pk])
    eleventh = next(i for i in items_of(round_) if i.kind == "commitment" and i.number == 11)
    response = client.post(url, {"item": eleventh.pk, "text": "Interpretation.", "owner": ""})
    assert response.status_code == 400
    assertContains(response, "Name who will see to it.", status_code=400)
    assertContains(response, "Interpretation.", status_code=400)
    assert not ClusterAction.objects.exists()
    due = (today() + datetime.timedelta(days=30)).isoformat()
    data = {"item": eleventh.pk, "text": "Interpretation.", "owner": "WHO", "due_on": due}
    assert client.post(url, data).status_code == 302
    assert ClusterAction.objects.get().item == eleventh


def test_the_round_page_preselects_the_weakest_commitment_for_an_action(client, round_, pakistan):
    fill_round(round_, [("M" * 10 + "N", "M" * 5)] * 3)
    client.force_login(pakistan.coordinator)
    response = client.get(reverse("commitments:round", args=[round_.pk]))
    eleventh = next(i for i in items_of(round_) if i.kind == "commitment" and i.number == 11)
    assertContains(response, f'<option value="{eleventh.pk}" selected>')


def test_home_shows_the_partner_its_drafts_and_the_coordinator_its_open_rounds(
    client, round_, pakistan
):
    client.force_login(pakistan.partner)
    response = client.get(reverse("home"))
    own = round_.assessments.get(organisation=pakistan.organisations[0])
    assertContains(response, "Self-assessments to submit")
    assertContains(response, reverse("commitments:assessment", args=[own.pk]))
    client.force_login(pakistan.coordinator)
    response = client.get(reverse("home"))
    assertContains(response, "Open self-assessment rounds")
    assertContains(response, "0 of 4 submitted")


def test_home_of_someone_without_commitment_roles_is_unchanged(client, cast):
    client.force_login(cast["rc_hc_pakistan"])
    assertNotContains(client.get(reverse("home")), "Self-assessments to submit")


def test_the_framework_page(client, cast):
    client.force_login(cast["outsider"])
    response = client.get(reverse("commitments:framework"))
    assertContains(response, "Complementarity")
    assertContains(response, "key commitment", count=4)  # the hint's word aside, three marks
    assert client.get(reverse("commitments:framework") + "?version=9").status_code == 404


def test_hcss_keeps_the_framework_in_the_admin_and_follows_rounds(client, cast, round_):
    client.force_login(cast["hcss"])
    assert client.get(reverse("admin:commitments_frameworkversion_changelist")).status_code == 200
    assert client.get(reverse("admin:commitments_round_changelist")).status_code == 200
    page = client.get(reverse("admin:commitments_round_change", args=[round_.pk]))
    assert page.status_code == 200
    # The version answered in is read-only: a new wording is a new version.
    version = round_.framework
    change = client.get(reverse("admin:commitments_frameworkversion_change", args=[version.pk]))
    assert change.status_code == 200 and b'name="items-0-text"' not in change.content
    assert client.get(reverse("admin:commitments_frameworkversion_add")).status_code == 200


def test_other_staff_get_the_admins_403_and_a_missing_round_is_a_404(client, cast, round_):
    from clusters.services import hcss_admin_group

    staff = cast["rc_hc_pakistan"]
    staff.is_staff = True
    staff.save()
    staff.groups.add(hcss_admin_group())
    client.force_login(staff)
    assert client.get(reverse("admin:commitments_round_changelist")).status_code == 403
    assert (
        client.get(reverse("admin:commitments_round_change", args=[round_.pk])).status_code == 404
    )
    client.force_login(cast["hcss"])
    assert client.get(reverse("admin:commitments_round_change", args=[999999])).status_code == 404
