"""The PDFs and the report's e-mails in their reader's language: a PDF is rendered in the
language it was asked for in (its fixed text, its dates, its direction and fonts), pages offer
the one in their own language, a recipient is written to in their account's language, and a
visitor to the public pages gets the public PDF in theirs once it is made."""

from __future__ import annotations

import datetime
import io

import pypdf
import pytest
from django.conf import settings
from django.core import mail
from django.core.files.base import ContentFile
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from clusters.models import LanguagePreference
from missions.models import ReportVersion, ToRVersion
from missions.services.mission import mission_transition
from missions.services.permissions import mission_leader_appoint
from missions.services.tor import tor_save, tor_start
from reports.models import Delivery, Document, Publication
from reports.services import document as services
from reports.services.distribution import delivery_resend, delivery_token
from reports.services.document import (
    document_ensure,
    document_request,
    followup_status_reports_due,
)
from reports.services.publication import publication_publish
from reports.tasks import render_document_task
from tests.factories import UserFactory, make_final_report, make_mission

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
FRENCH_PDF = PDF.replace(b"%%EOF", b"%fr\n%%EOF")
# The day each text was saved: its month is spelt by Django's own catalogues.
SAVED = datetime.datetime(2026, 12, 2, 10, 0, tzinfo=datetime.UTC)
ARABIC_SUMMARY = "ملخص البعثة: التقت البعثة بالفريق القطري الإنساني"
CHINESE_SUMMARY = "特派团会见了人道主义国家工作队和六个组群。"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def no_rendering(monkeypatch):
    """The PDFs are not rendered (a test that needs a file stores one: `ready`)."""
    monkeypatch.setattr(render_document_task, "delay", lambda pk: None)


@pytest.fixture
def sent_html(monkeypatch) -> list[str]:
    """The HTML each rendering hands the PDF renderer."""
    sent = []
    real = services.render_pdf

    def keep(html: str):
        sent.append(html)
        return real(html)

    monkeypatch.setattr(services, "render_pdf", keep)
    return sent


def reported(summary: str = "The mission's summary.", **fields):
    """A mission in follow-up with its final report (version 1, saved on SAVED)."""
    mission = make_mission("PAK", status="follow_up", title="Pakistan floods", **fields)
    version = make_final_report(mission, summary=summary)
    ReportVersion.objects.filter(pk=version.pk).update(created_at=SAVED)
    return mission


def choose(user, language: str):
    LanguagePreference.objects.update_or_create(user=user, defaults={"language": language})
    return user


def made(mission, user, kind: str, language: str) -> Document:
    """Ask for the PDF in `language`, and let the worker (eager in tests) make it."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        document = document_request(mission, user, kind, language)
    document.refresh_from_db()
    assert document.status == Document.Status.READY, document.error
    return document


def pdf_of(document: Document) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def fonts_of(data: bytes) -> set[str]:
    """The names of the fonts the PDF embeds, without their subset prefix."""
    names = set()
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"].get("/Font", {}).values():
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return names


def squeezed(text: str) -> str:
    return "".join(text.split())


def ready(document: Document, data: bytes = PDF) -> Document:
    """Store a PDF for the document, as the worker would."""
    document.file.save("document.pdf", ContentFile(data), save=False)
    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.READY, file=document.file.name, pages=1, finished_at=timezone.now()
    )
    document.refresh_from_db()
    return document


class TestRendering:
    def test_a_pdf_asked_for_in_french_prints_its_fixed_text_and_dates_in_french(
        self, cast, sent_html
    ):
        mission = reported()

        french = made(mission, cast["gcc"], Document.Kind.REPORT, "fr")
        english = made(mission, cast["gcc"], Document.Kind.REPORT, "en-gb")

        assert (french.language, english.language) == ("fr", "en-gb")
        assert french.pk != english.pk and french.file.name != english.file.name
        # Rendered with French active: the template read the language back.
        assert '<html lang="fr" dir="ltr">' in sent_html[0]
        assert '<html lang="en-gb" dir="ltr">' in sent_html[1]
        # The month as Django's French catalogue spells it, in French's date format.
        assert "2 décembre 2026" in text_of(pdf_of(french))
        assert "2 Dec 2026" in text_of(pdf_of(english))

    def test_an_arabic_pdf_runs_right_to_left_and_embeds_a_font_for_the_arabic_typed(
        self, cast, sent_html
    ):
        mission = reported(summary=ARABIC_SUMMARY)

        document = made(mission, cast["gcc"], Document.Kind.REPORT, "ar")

        assert '<html lang="ar" dir="rtl">' in sent_html[0]
        data = pdf_of(document)
        assert squeezed(ARABIC_SUMMARY) in squeezed(text_of(data))
        assert any(name.startswith("Noto") and "Arabic" in name for name in fonts_of(data))

    def test_a_chinese_pdf_embeds_a_font_for_chinese_and_dates_in_chinese(self, cast, sent_html):
        mission = reported(summary=CHINESE_SUMMARY)

        document = made(mission, cast["gcc"], Document.Kind.PUBLIC_REPORT, "zh-hans")

        assert '<html lang="zh-hans" dir="ltr">' in sent_html[0]
        data = pdf_of(document)
        text = squeezed(text_of(data))
        assert squeezed(CHINESE_SUMMARY) in text
        assert "2026年12月2日" in text
        assert any(name.startswith("WenQuanYi") for name in fonts_of(data))

    def test_the_tor_is_rendered_in_the_language_asked_for(self, cast, sent_html):
        mission = make_mission("PAK", status="in_planning")
        tor_start(mission, cast["gcc"])
        ToRVersion.objects.filter(tor__mission=mission).update(created_at=SAVED)

        document = made(mission, cast["gcc"], Document.Kind.TOR, "fr")

        assert '<html lang="fr" dir="ltr">' in sent_html[0]
        assert "2 décembre 2026" in text_of(pdf_of(document))


@pytest.mark.usefixtures("no_rendering")
class TestAskingOnAPage:
    def test_the_tor_page_read_in_french_asks_for_a_french_pdf(self, client, cast):
        mission = make_mission("PAK", status="in_planning")
        tor_start(mission, cast["gcc"])
        tor_save(mission, cast["gcc"], base_number=1, change_note="More.", timing="March.")
        url = reverse("reports:tor", args=[mission.pk])
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
        client.force_login(cast["hct_pakistan"])

        assertContains(client.get(url), '<html lang="fr" dir="ltr">')
        client.post(url)

        document = Document.objects.get()
        assert (document.kind, document.language, document.source_version) == ("tor", "fr", 2)

    def test_a_page_offers_the_pdf_ready_in_another_language_and_makes_its_own(self, client, cast):
        mission = reported()
        english = ready(
            document_ensure(mission, Document.Kind.REPORT, 1, final=True, language="en-gb")
        )
        url = reverse("reports:report", args=[mission.pk])
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
        client.force_login(cast["gcc"])

        page = client.get(url)

        download = reverse("reports:download", args=[english.pk])
        assertContains(page, f'href="{download}" hreflang="en-gb"')
        assertContains(page, '<input type="hidden" name="kind" value="report">')
        client.post(url, {"kind": "report"})
        french = Document.objects.get(kind="report", language="fr")
        assert french.status == Document.Status.QUEUED
        # While the French one is made, the English one is still offered.
        page = client.get(url)
        assertContains(page, f'href="{download}" hreflang="en-gb"')
        assertContains(page, 'id="pdf-progress-report"')
        ready(french)
        assertNotContains(client.get(url), download)

    def test_the_leaders_status_report_is_in_their_language_the_monthly_one_in_the_sites(
        self, client, cast
    ):
        mission = make_mission("PAK", status="follow_up")
        mission_leader_appoint(mission, choose(cast["leader"], "ar"))
        followup_status_reports_due(datetime.date(2026, 11, 3))
        client.force_login(cast["leader"])  # the choice is copied into the session

        client.post(reverse("reports:followup_status", args=[mission.pk]))

        monthly, asked = Document.objects.order_by("source_version")
        assert (monthly.source_version, monthly.language, monthly.period) == (1, "en-gb", "2026-11")
        assert (asked.source_version, asked.language, asked.period) == (2, "ar", "")

    def test_a_status_report_is_offered_and_made_in_the_readers_language(self, client, cast):
        mission = make_mission("PAK", status="follow_up")
        (pk,) = followup_status_reports_due(datetime.date(2026, 11, 3))
        monthly = ready(Document.objects.get(pk=pk))
        url = reverse("reports:followup_status", args=[mission.pk])
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
        client.force_login(cast["hct_pakistan"])

        page = client.get(url)

        download = reverse("reports:download", args=[monthly.pk])
        assertContains(page, f'href="{download}" hreflang="en-gb"')
        assertContains(page, '<button type="submit" name="number" value="1">')
        client.post(url, {"number": "1"})
        spanish = Document.objects.get(language="es")
        assert (spanish.source_version, spanish.as_of, spanish.period) == (1, monthly.as_of, "")
        client.post(url, {"number": "1"})
        assert Document.objects.count() == 2
        # The month's report is still the scheduled one: the tick makes nothing more.
        assert followup_status_reports_due(datetime.date(2026, 11, 20)) == []


@pytest.mark.usefixtures("no_rendering")
class TestDeliveries:
    @pytest.fixture
    def mission(self, cast):
        mission = make_mission("PAK", status="reporting", title="Pakistan floods")
        mission_leader_appoint(mission, cast["leader"])
        make_final_report(mission, recipients=3)
        return mission

    @staticmethod
    def account(mission, index: int, language: str):
        """An account with the address of recipient `index` (its case aside)."""
        email = f"recipient-{mission.pk}-{index}@example.org".upper()
        return choose(UserFactory(username=f"recipient-{index}", email=email), language)

    @staticmethod
    def email_to(delivery):
        return next(m for m in reversed(mail.outbox) if m.to == [delivery.email])

    def test_each_recipient_gets_the_email_and_the_pdf_in_their_accounts_language(
        self, mission, cast, client, django_capture_on_commit_callbacks
    ):
        self.account(mission, 1, "fr")
        self.account(mission, 2, "ar")

        with django_capture_on_commit_callbacks(execute=True):
            mission_transition(mission, "distribute_report", cast["leader"])

        deliveries = {d.name: d for d in Delivery.objects.select_related("document")}
        languages = {name: d.document.language for name, d in deliveries.items()}
        assert languages == {"Recipient 1": "fr", "Recipient 2": "ar", "Recipient 3": "en-gb"}
        # Each PDF is asked for when the report is sent: the final report in that language.
        assert {
            (d.kind, d.source_version, d.source_final, d.language) for d in Document.objects.all()
        } == {("report", 1, True, language) for language in ("fr", "ar", "en-gb")}
        for name, lang, direction in (
            ("Recipient 1", "fr", "ltr"),
            ("Recipient 2", "ar", "rtl"),
            ("Recipient 3", "en-gb", "ltr"),
        ):
            message = self.email_to(deliveries[name])
            assert message.extra_headers["Content-Language"] == lang
            assert f'<html lang="{lang}" dir="{direction}">' in message.alternatives[0][0]
        french = deliveries["Recipient 1"]
        ready(french.document, FRENCH_PDF)
        response = client.get(reverse("reports:delivery", args=[delivery_token(french)]))
        assert b"".join(response.streaming_content) == FRENCH_PDF

    def test_a_new_link_follows_the_language_the_recipient_chose_since(
        self, mission, cast, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            mission_transition(mission, "distribute_report", cast["leader"])
        delivery = Delivery.objects.get(name="Recipient 1")
        assert delivery.document.language == "en-gb"
        self.account(mission, 1, "es")

        with django_capture_on_commit_callbacks(execute=True):
            delivery_resend(mission, cast["leader"], delivery.pk)

        delivery.refresh_from_db()
        assert (delivery.document.language, delivery.document.source_version) == ("es", 1)
        assert self.email_to(delivery).extra_headers["Content-Language"] == "es"


@pytest.mark.usefixtures("no_rendering")
class TestThePublicPdf:
    @pytest.fixture
    def publication(self, cast) -> Publication:
        mission = reported()
        mission_leader_appoint(mission, cast["leader"])
        publication_publish(mission, cast["leader"])
        publication = Publication.objects.select_related("document").get(mission=mission)
        ready(publication.document)
        return publication

    def test_a_visitor_gets_the_ready_one_while_theirs_is_made_then_theirs(
        self, client, publication
    ):
        url = reverse("public:pdf", args=[publication.pk])
        detail = reverse("public:detail", args=[publication.pk])

        response = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")

        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Language"] == "en-gb"
        assert response["Cache-Control"] == "no-cache"
        assert "Accept-Language" in response["Vary"]
        french = Document.objects.get(language="fr")
        assert (french.kind, french.source_version, french.status) == (
            "public_report",
            publication.version,
            Document.Status.QUEUED,
        )
        page = client.get(detail, HTTP_ACCEPT_LANGUAGE="fr")
        assert page.context["pdf"] == publication.document and page.context["coming"]
        assertContains(page, 'hreflang="en-gb"')
        # Asking again, or in a language the site does not have, makes nothing more.
        client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
        client.get(url, HTTP_ACCEPT_LANGUAGE="tlh")
        assert Document.objects.count() == 2

        ready(french, FRENCH_PDF)
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
        assert b"".join(response.streaming_content) == FRENCH_PDF
        assert response["Content-Language"] == "fr"
        assert response["Cache-Control"] == "public, max-age=300"
        assert not client.get(detail, HTTP_ACCEPT_LANGUAGE="fr").context["coming"]

    def test_a_visitors_pdf_that_failed_is_not_rendered_again_at_each_visit(
        self, client, publication
    ):
        url = reverse("public:pdf", args=[publication.pk])
        client.get(url, HTTP_ACCEPT_LANGUAGE="ru")
        Document.objects.filter(language="ru").update(status=Document.Status.FAILED)

        response = client.get(url, HTTP_ACCEPT_LANGUAGE="ru")

        assert b"".join(response.streaming_content) == PDF
        assert Document.objects.get(language="ru").status == Document.Status.FAILED


def test_documents_exist_in_the_sites_languages_only(db, no_rendering):
    mission = reported()
    assert document_ensure(mission, "report", 1, final=True, language="fr-ca").language == "fr"
    with pytest.raises(LookupError):
        document_ensure(mission, "report", 1, final=True, language="tlh")
    assert list(Document.objects.values_list("language", flat=True)) == ["fr"]
