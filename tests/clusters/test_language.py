"""The language switcher: kept in a cookie for anyone, and for a signed-in user as their own
choice, which follows them to another browser and into what is sent to them."""

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from clusters.language import language_for, language_of
from clusters.models import LanguagePreference
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def html_tag(response) -> str:
    page = response.content.decode()
    return page[page.index("<html") : page.index(">", page.index("<html")) + 1]


def test_every_page_offers_the_six_languages(client):
    page = client.get("/reports/").content.decode()
    assert 'action="/language/"' in page
    for code, name in settings.LANGUAGES:
        assert f'value="{code}"' in page
        assert name in page


def test_an_anonymous_visitor_keeps_the_chosen_language_in_a_cookie(client):
    response = client.post("/language/", {"language": "fr", "next": "/reports/"})
    assert response.status_code == 302
    assert response["Location"] == "/reports/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"

    page = client.get("/reports/")
    assert html_tag(page) == '<html lang="fr" dir="ltr">'
    assert page["Content-Language"] == "fr"


def test_arabic_pages_read_right_to_left(client):
    client.post("/language/", {"language": "ar", "next": "/reports/"})
    assert html_tag(client.get("/reports/")) == '<html lang="ar" dir="rtl">'


def test_the_browser_language_applies_until_one_is_chosen(client):
    page = client.get("/reports/", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")
    assert html_tag(page) == '<html lang="es" dir="ltr">'


def test_an_unknown_language_changes_nothing(client):
    response = client.post("/language/", {"language": "xx", "next": "/reports/"})
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert html_tag(client.get("/reports/")) == '<html lang="en-gb" dir="ltr">'


def test_a_next_address_elsewhere_is_not_followed(client):
    response = client.post("/language/", {"language": "fr", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_the_switcher_takes_only_a_post(client):
    assert client.get("/language/").status_code == 405


def test_a_signed_in_users_choice_follows_them_to_another_browser():
    user = UserFactory(username="amina")
    laptop = Client()
    laptop.force_login(user)
    laptop.post("/language/", {"language": "ru", "next": "/"})
    assert LanguagePreference.objects.get(user=user).language == "ru"

    phone = Client(headers={"accept-language": "en"})
    phone.force_login(user)
    assert html_tag(phone.get("/")) == '<html lang="ru" dir="ltr">'


def test_what_is_sent_to_a_user_is_in_their_language():
    user = UserFactory(username="li")
    assert language_of(user) == settings.LANGUAGE_CODE
    LanguagePreference.objects.create(user=user, language="zh-hans")
    user.refresh_from_db()
    with language_for(user):
        assert translation.get_language() == "zh-hans"
    assert language_of(None) == settings.LANGUAGE_CODE


@pytest.mark.parametrize(
    ("language", "health"),
    [
        ("fr", "Santé"),
        ("es", "Salud"),
        ("ar", "الصحة"),
        ("ru", "Здравоохранение"),
        ("zh-hans", "卫生"),
    ],
)
def test_the_reference_data_reads_in_every_language(language, health):
    from clusters.models import GlobalCluster
    from commitments.models import FrameworkItem

    with translation.override(language):
        assert GlobalCluster.objects.get(code="health").name == health
        for item in FrameworkItem.objects.all():
            assert item.title and item.text
            assert item.title != item.title_en_gb, item.code


def test_a_translation_left_empty_reads_in_english():
    from clusters.models import CrossCuttingIssue

    CrossCuttingIssue.objects.filter(code="gender").update(name_ru=None)
    with translation.override("ru"):
        assert CrossCuttingIssue.objects.get(code="gender").name == "Gender"


def test_hcss_edits_the_translations_in_the_admin(admin_client):
    page = admin_client.get("/admin/clusters/globalcluster/").content.decode()
    assert "Health" in page
    from clusters.models import GlobalCluster

    health = GlobalCluster.objects.get(code="health")
    form = admin_client.get(f"/admin/clusters/globalcluster/{health.pk}/change/").content.decode()
    for field in ("name_en_gb", "name_fr", "name_es", "name_ar", "name_ru", "name_zh_hans"):
        assert f'name="{field}"' in form


class TestCatalogues:
    """English asks no catalogue that translates nothing; every language translates as
    Django's own chain does."""

    def test_no_catalogue_in_a_chain_is_empty(self):
        from gettext import GNUTranslations

        from django.utils.translation import trans_real

        for code, _name in settings.LANGUAGES:
            node = trans_real.translation(code)
            while node is not None:
                if type(node) is GNUTranslations:
                    assert set(node._catalog) - {""}, (code, "an empty catalogue is asked")
                node = node._fallback

    @pytest.mark.parametrize("code", [code for code, _name in settings.LANGUAGES])
    def test_each_language_translates_as_django_builds_it(self, code):
        from django.utils.translation import trans_real

        # Django's own chain, built afresh (with the empty catalogues).
        django_built = trans_real.DjangoTranslation(code)
        ours = trans_real.translation(code)
        messages = [
            "Follow-up tracker",  # the project's
            "This field is required.",  # Django's
            "Enter a valid date.",
            "Log in",  # contrib.auth's admin
            "Nothing translates this message",
        ]
        for message in messages:
            assert ours.gettext(message) == django_built.gettext(message), (code, message)
        for n in (0, 1, 2, 5, 11):
            plural = ("%(num)d minute", "%(num)d minutes", n)
            assert ours.ngettext(*plural) == django_built.ngettext(*plural), (code, n)
            plural = ("%(n)s thing", "%(n)s things", n)
            assert ours.ngettext(*plural) == django_built.ngettext(*plural), (code, n)
        context = ("String to return when truncating text", "%(truncated_text)s…")
        assert ours.pgettext(*context) == django_built.pgettext(*context)
