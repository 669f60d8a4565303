"""The PDF of the Terms of Reference: asked for on a page, rendered once by a worker, its
progress shown until it is ready, then downloaded by whoever sees the mission."""

import datetime
import io
import threading

import pypdf
import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from clusters.models import Country, Role
from clusters.services import role_grant
from missions.services.tor import tor_mark_final, tor_save, tor_start
from reports.admin.document import DocumentAdmin
from reports.models import Document
from reports.services import document as services
from reports.services.document import document_request
from reports.tasks import render_document_task
from tests.factories import UserFactory, make_mission


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def mission(cast):
    mission = make_mission("PAK", status="in_planning", title="Pakistan flood coordination")
    tor_start(mission, cast["gcc"])
    tor_save(
        mission,
        cast["gcc"],
        base_number=1,
        change_note="Added the district visits.",
        timing="Two weeks in March, with district visits in Sindh.",
    )
    return mission


def status_url(mission) -> str:
    return reverse("reports:tor", args=[mission.pk])


def download_url(document) -> str:
    return reverse("reports:download", args=[document.pk])


def queued(mission, user) -> Document:
    """Ask for the PDF without letting the worker run (the on-commit queueing is dropped)."""
    document = document_request(mission, user)
    assert document.status == Document.Status.QUEUED
    return document


def pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def rendered(document) -> Document:
    assert render_document_task(document.pk) is True
    document.refresh_from_db()
    return document


class TestRendering:
    def test_the_task_renders_the_current_version_as_a_pdf_that_reads_back(self, mission, cast):
        document = rendered(queued(mission, cast["gcc"]))

        assert document.status == Document.Status.READY
        assert document.source_version == 2
        assert document.started_at and document.finished_at
        with document.file.open("rb") as handle:
            pages = pdf_text(handle.read())
        assert document.pages == len(pages) >= 2
        cover = pages[0]
        assert "Pakistan flood coordination" in cover
        assert "Terms of Reference" in cover
        assert "Version 2" in cover
        assert "Pakistan" in cover
        assert "Draft" in cover
        body = " ".join(pages[1:])
        assert "Two weeks in March, with district visits in Sindh." in body
        assert "Focus of the mission" in body
        assert f"Page 2 of {len(pages)}" in pages[1]

    def test_a_version_marked_final_prints_again_saying_final(self, mission, cast):
        draft = rendered(queued(mission, cast["gcc"]))
        tor_mark_final(mission, cast["gcc"], number=2)

        final = rendered(queued(mission, cast["gcc"]))

        assert final.pk != draft.pk
        assert final.source_final
        with final.file.open("rb") as handle:
            assert "Final" in pdf_text(handle.read())[0]

    def test_asking_twice_for_the_same_version_reuses_the_document_and_queues_once(
        self, mission, cast, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks() as callbacks:
            first = document_request(mission, cast["gcc"])
            second = document_request(mission, cast["rc_hc_pakistan"])

        assert first.pk == second.pk
        assert Document.objects.count() == 1
        assert len(callbacks) == 1

    def test_a_task_run_twice_renders_once(self, mission, cast, monkeypatch):
        calls = []
        real = services.render_pdf
        monkeypatch.setattr(services, "render_pdf", lambda html: calls.append(1) or real(html))
        document = queued(mission, cast["gcc"])

        assert render_document_task(document.pk) is True
        assert render_document_task(document.pk) is False
        assert len(calls) == 1

    def test_a_failing_render_ends_as_failed_with_a_short_error(self, mission, cast, monkeypatch):
        def broken(html):
            raise OSError("/secret/path: fonts missing")

        monkeypatch.setattr(services, "render_pdf", broken)
        document = queued(mission, cast["gcc"])

        assert render_document_task(document.pk) is False

        document.refresh_from_db()
        assert document.status == Document.Status.FAILED
        assert "could not be made (OSError)" in document.error
        assert "/secret" not in document.error
        assert not document.file
        assert document.finished_at is not None

    def test_a_rendering_lost_long_ago_is_taken_over(self, mission, cast):
        document = queued(mission, cast["gcc"])
        long_ago = timezone.now() - datetime.timedelta(hours=1)
        Document.objects.filter(pk=document.pk).update(status="rendering", started_at=long_ago)

        assert rendered(document).status == Document.Status.READY

    def test_a_rendering_under_way_is_not_taken_over(self, mission, cast):
        document = queued(mission, cast["gcc"])
        Document.objects.filter(pk=document.pk).update(
            status="rendering", started_at=timezone.now()
        )

        assert render_document_task(document.pk) is False

    def test_no_pdf_before_the_tor_exists(self, cast):
        mission = make_mission("PAK", status="approved")
        with pytest.raises(Exception, match="no Terms of Reference"):
            document_request(mission, cast["gcc"])
        assert not Document.objects.exists()


class TestStatusPage:
    def test_without_a_pdf_it_offers_to_make_one_and_the_worker_makes_it(
        self, client, mission, cast, django_capture_on_commit_callbacks
    ):
        client.force_login(cast["hct_pakistan"])
        assertContains(client.get(status_url(mission)), "Make the PDF")

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(status_url(mission))

        assertRedirects(response, status_url(mission))
        document = Document.objects.get()
        assert document.status == Document.Status.READY  # eager in tests
        assert document.requested_by == cast["hct_pakistan"]

    @pytest.mark.parametrize(("status", "step"), [("queued", 1), ("rendering", 2)])
    def test_while_queued_or_rendering_it_shows_progress_and_refreshes(
        self, client, mission, cast, status, step
    ):
        document = queued(mission, cast["gcc"])
        Document.objects.filter(pk=document.pk).update(status=status, started_at=timezone.now())
        client.force_login(cast["rc_hc_pakistan"])

        page = client.get(status_url(mission))

        assertContains(page, "Preparing the PDF…")
        assertContains(page, f'<progress id="pdf-progress" max="3" value="{step}">')
        assertContains(page, f"Step {step} of 3")
        assertContains(page, '<meta http-equiv="refresh" content="3">')
        assert page["Refresh"] == "3"
        assertNotContains(page, "Download the PDF")

    def test_when_ready_it_links_to_the_download_and_stops_refreshing(self, client, mission, cast):
        document = rendered(queued(mission, cast["gcc"]))
        client.force_login(cast["task_team"])

        page = client.get(status_url(mission))

        assertContains(page, download_url(document))
        assertContains(page, "Download the PDF")
        assertNotContains(page, "http-equiv")
        assert "Refresh" not in page

    def test_a_failed_pdf_shows_the_error_and_a_retry_that_works(
        self, client, mission, cast, monkeypatch, django_capture_on_commit_callbacks
    ):
        real = services.render_pdf
        monkeypatch.setattr(services, "render_pdf", lambda html: 1 / 0)
        with django_capture_on_commit_callbacks(execute=True):
            document_request(mission, cast["gcc"])
        client.force_login(cast["gcc"])

        page = client.get(status_url(mission))
        assertContains(page, "The PDF could not be made")
        assertContains(page, "Try again")

        monkeypatch.setattr(services, "render_pdf", real)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(status_url(mission))

        document = Document.objects.get()
        assert document.status == Document.Status.READY
        assert document.error == ""

    def test_a_pdf_stuck_for_long_can_be_asked_for_again(
        self, client, mission, cast, django_capture_on_commit_callbacks
    ):
        document = queued(mission, cast["gcc"])
        long_ago = timezone.now() - datetime.timedelta(hours=1)
        Document.objects.filter(pk=document.pk).update(requested_at=long_ago)
        client.force_login(cast["gcc"])
        page = client.get(status_url(mission))
        assertContains(page, "taking longer than expected")
        assert "Refresh" not in page

        with django_capture_on_commit_callbacks(execute=True):
            client.post(status_url(mission))

        document.refresh_from_db()
        assert document.status == Document.Status.READY

    def test_without_a_tor_the_page_says_there_is_nothing_to_print(self, client, cast):
        mission = make_mission("PAK", status="approved")
        client.force_login(cast["gcc"])
        assertContains(client.get(status_url(mission)), "nothing to print")
        response = client.post(status_url(mission), follow=True)
        assertContains(response, "no Terms of Reference to make a PDF of yet")
        assert not Document.objects.exists()


class TestDownload:
    def test_the_download_is_the_pdf_as_a_private_attachment(self, client, mission, cast):
        document = rendered(queued(mission, cast["gcc"]))
        client.force_login(cast["rc_hc_pakistan"])

        response = client.get(download_url(document))

        data = b"".join(response.streaming_content)
        assert data.startswith(b"%PDF")
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert "Pakistan flood coordination" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "private" in response["Cache-Control"]

    @pytest.mark.parametrize("who", ["rc_hc_nepal", "hct_nepal", "outsider", "focal_health"])
    def test_out_of_scope_gets_404_for_the_download_and_the_status_page(
        self, client, mission, cast, who
    ):
        document = rendered(queued(mission, cast["gcc"]))
        client.force_login(cast[who])

        assert client.get(download_url(document)).status_code == 404
        assert client.get(status_url(mission)).status_code == 404
        assert client.post(status_url(mission)).status_code == 404

    def test_a_pdf_not_ready_yet_is_a_404(self, client, mission, cast):
        document = queued(mission, cast["gcc"])
        client.force_login(cast["gcc"])
        assert client.get(download_url(document)).status_code == 404

    def test_a_stored_file_gone_missing_is_a_404(self, client, mission, cast):
        document = rendered(queued(mission, cast["gcc"]))
        document.file.storage.delete(document.file.name)
        client.force_login(cast["gcc"])
        assert client.get(download_url(document)).status_code == 404


class TestAdmin:
    def test_the_admin_lists_only_documents_of_missions_in_scope(self, rf, mission, cast):
        nepal = make_mission("NPL", status="in_planning")
        pakistan_pdf = queued(mission, cast["gcc"])
        Document.objects.create(mission=nepal, kind="tor", source_version=1)
        staff = UserFactory(username="staff-pak", is_staff=True)
        staff.user_permissions.add(Permission.objects.get(codename="view_document"))
        role_grant(staff, Role.RC_HC, country=Country.objects.get(code="PAK"))
        request = rf.get("/")
        request.user = staff
        admin = DocumentAdmin(Document, None)

        assert [d.pk for d in admin.get_queryset(request)] == [pakistan_pdf.pk]
        assert not admin.has_change_permission(request, pakistan_pdf)
        assert not admin.has_add_permission(request)

    def test_a_document_out_of_scope_is_a_404_on_its_admin_pages(self, client, mission, cast):
        nepal_pdf = Document.objects.create(
            mission=make_mission("NPL", status="in_planning"), kind="tor", source_version=1
        )
        staff = UserFactory(username="staff-pak", is_staff=True)
        staff.user_permissions.add(Permission.objects.get(codename="view_document"))
        role_grant(staff, Role.RC_HC, country=Country.objects.get(code="PAK"))
        client.force_login(staff)
        for name in ("change", "history", "delete"):
            url = reverse(f"admin:reports_document_{name}", args=[nepal_pdf.pk])
            assert client.get(url).status_code == 404, name

    def test_the_admin_changelist_shows_the_documents(self, client, mission, cast):
        queued(mission, cast["gcc"])
        admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
        client.force_login(admin_user)
        page = client.get(reverse("admin:reports_document_changelist"))
        assertContains(page, "Pakistan flood coordination")
        assertContains(page, "Queued")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_given_the_same_document_render_it_once(on_postgres, monkeypatch):
    gcc = UserFactory(username="gcc-race")
    role_grant(gcc, Role.GCC)
    mission = make_mission("PAK", status="in_planning")
    tor_start(mission, gcc)
    document = Document.objects.create(mission=mission, kind="tor", source_version=1)
    calls = []
    real = services.render_pdf
    monkeypatch.setattr(services, "render_pdf", lambda html: calls.append(1) or real(html))
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def work(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = render_document_task(document.pk)
        except BaseException as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results) == [False, True], results
    assert len(calls) == 1
    document.refresh_from_db()
    assert document.status == Document.Status.READY


def test_the_admin_action_queues_a_failed_document_again(
    client, mission, cast, monkeypatch, django_capture_on_commit_callbacks
):
    with monkeypatch.context() as broken:  # the retry renders for real
        broken.setattr(services, "render_pdf", lambda html: 1 / 0)
        with django_capture_on_commit_callbacks(execute=True):
            document = document_request(mission, cast["gcc"])
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:reports_document_changelist"),
            {"action": "queue_again", "_selected_action": [document.pk]},
            follow=True,
        )

    assertContains(response, "1 document queued again.")
    document.refresh_from_db()
    assert document.status == Document.Status.READY


class TestTheSweep:
    """A document whose queueing or worker was lost renders without anyone asking again."""

    def test_a_lost_queueing_and_a_dead_rendering_are_queued_again_once(
        self, mission, cast, django_capture_on_commit_callbacks, monkeypatch
    ):
        from reports.models import STALLED_AFTER
        from reports.services.document import documents_stalled_requeue
        from reports.tasks import documents_sweep_task

        with monkeypatch.context() as lost:  # the broker took nothing
            lost.setattr(services.RENDER, "fire_on_commit", lambda pk: None)
            document = document_request(mission, cast["gcc"])
        long_ago = timezone.now() - STALLED_AFTER - datetime.timedelta(minutes=1)
        Document.objects.filter(pk=document.pk).update(requested_at=long_ago)
        fresh = Document.objects.create(
            mission=mission, kind=Document.Kind.TOR, source_version=99, source_final=False
        )

        with django_capture_on_commit_callbacks(execute=True):
            assert documents_sweep_task() == 1
        assert documents_stalled_requeue() == []  # a second sweep finds nothing
        document.refresh_from_db()
        fresh.refresh_from_db()
        assert document.status == Document.Status.READY
        assert fresh.status == Document.Status.QUEUED  # not lost yet: left alone
