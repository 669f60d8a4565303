"""Error pages in the site's layout: a step's address opened as a link, and a server error."""

from django.test import RequestFactory
from django.views.defaults import server_error

from tests.factories import make_mission


def test_a_step_opened_as_a_link_says_what_to_do_and_keeps_the_allow_header(client, cast):
    mission = make_mission("PAK", status="submitted")
    client.force_login(cast["hct_pakistan"])

    response = client.get(f"/missions/{mission.pk}/endorse/")

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    page = response.content.decode()
    assert "This address is a step, not a page" in page
    assert 'href="/"' in page  # in the site's layout, with its way home


def test_a_server_error_shows_the_sites_page_without_a_request_context(db):
    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_out_of_scope_is_the_sites_404_page_even_under_debug(client, cast, settings):
    settings.DEBUG = True
    mission = make_mission("NPL", status="submitted")
    client.force_login(cast["rc_hc_pakistan"])

    response = client.get(f"/missions/{mission.pk}/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "Raised by" not in page and "URLconf" not in page  # Django's technical page
    assert '<html lang="en-gb"' in page and 'href="/"' in page
