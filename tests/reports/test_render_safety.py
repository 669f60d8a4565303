"""Rendering is safe and bounded: a PDF embeds nothing but the project's own static files,
whatever users typed, and a rendering over its time or memory limit ends as a clean failure
that can be asked for again.

The payloads go into every field a user types that reaches a PDF; a real HTTP server on
127.0.0.1 stands for the network and must receive no request.
"""

from __future__ import annotations

import http.server
import io
import subprocess
import sys
import threading

import pypdf
import pytest
from django.test import TestCase

from clusters.models import Organisation
from missions.models import (
    ActionPoint,
    Attachment,
    IssueCoverage,
    Mission,
    ProgressUpdate,
    ReportFinding,
    ReportVersion,
    ToRVersion,
)
from missions.services.permissions import mission_leader_appoint
from reports import pdf
from reports.models import Document
from reports.services import document as services
from reports.services.document import document_request, followup_status_request
from tests.reports.test_report_pdf import reported_mission

LOGO = "icsm-static:reports/logo.svg"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def server():
    """A real HTTP server on a free local port that records every request it gets."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.requests = requests
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def payloads(url: str) -> list[str]:
    """What a hostile user might type, each naming something to fetch or a huge value."""
    return [
        "<img src=file:///etc/passwd>",
        f'<link rel="stylesheet" href="{url}/link.css">',
        '<div style="background: url(file:///etc/passwd)">x</div>',
        f"<style>@import url({url}/import.css);</style>",
        "<p style='width: 99999999999px; font-size: 99999999px'>huge</p>",
        f'<iframe src="{url}/frame"></iframe>',
        f'<object data="{url}/object.svg"></object>',
        f'<svg><image href="{url}/image.png" width="10" height="10"/></svg>',
        '<img src="data:image/png;base64,iVBORw0KGgo=">',
        '<a rel="attachment" href="file:///etc/hostname">attached</a>',
        f"<img src={url}/../../etc/passwd>",
    ]


def corpus(url: str) -> str:
    return " ".join(payloads(url))


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def squeezed(text: str) -> str:
    return "".join(text.split())


class TestTheFetcher:
    @pytest.mark.parametrize(
        "url",
        [
            "file:///etc/passwd",
            "FILE:///etc/passwd",
            "http://127.0.0.1:9/x.css",
            "https://example.org/logo.svg",
            "data:image/svg+xml;base64,PHN2Zy8+",
            "ftp://example.org/x",
            "icsm-static:../pyproject.toml",
            "icsm-static:reports/../../pyproject.toml",
            "icsm-static:reports/%2e%2e/%2e%2e/pyproject.toml",
            "icsm-static:/etc/passwd",
            "icsm-static:reports//logo.svg",
            "icsm-static:reports/./logo.svg",
            "icsm-static:reports\\logo.svg",
            "icsm-static:reports/logo.svg?x=1",
            "icsm-static:reports/missing.svg",
            "icsm-static:reports",
            "icsm-static:",
            "reports/logo.svg",
        ],
    )
    def test_it_refuses_anything_but_a_static_file(self, url):
        fetcher = pdf.static_fetcher()
        with pytest.raises(ValueError):
            fetcher.fetch(url)
        assert fetcher.refused == [url]

    def test_it_refuses_a_link_out_of_the_static_files_and_files_of_other_types(self, tmp_path):
        root = tmp_path / "static"
        (root / "reports").mkdir(parents=True)
        (root / "reports" / "notes.txt").write_text("not an image")
        (root / "reports" / "out.svg").symlink_to(tmp_path / "secret.svg")
        (tmp_path / "secret.svg").write_text("<svg/>")
        fetcher = pdf.static_fetcher(root)
        for url in ("icsm-static:reports/out.svg", "icsm-static:reports/notes.txt"):
            with pytest.raises(ValueError):
                fetcher.fetch(url)
        assert fetcher.fetched == []

    def test_it_gives_the_logo_with_its_type(self):
        fetcher = pdf.static_fetcher()

        response = fetcher.fetch(LOGO)

        assert response.read().startswith(b"<svg")
        assert response.content_type == "image/svg+xml"
        assert fetcher.fetched == [LOGO]


class TestHostileHtml:
    def test_tags_that_got_through_fetch_nothing_and_the_pdf_is_made(self, server):
        # Not escaped, as if a template let them through: the fetcher is what holds.
        fetching = [p for p in payloads(server.url) if "99999999" not in p]
        html = f'<html><body><img src="{LOGO}">{"".join(fetching)}<p>Done.</p></body></html>'

        rendering = pdf.render(html, time_limit=60)

        assert server.requests == []
        assert rendering.fetched == [LOGO]
        refused = " ".join(rendering.refused)
        for url in ("file:///etc/passwd", "data:image/png", "file:///etc/hostname"):
            assert url in refused
        assert f"{server.url}/object.svg" in refused
        assert f"{server.url}/image.png" in refused
        assert rendering.pdf.startswith(b"%PDF") and rendering.pages == 1
        assert "root:" not in pdf_text(rendering.pdf)
        assert b"root:x:0:0" not in rendering.pdf

    @pytest.mark.parametrize(
        "markup",
        [
            '<div style="width: 99999999999px; height: 9999999999px; margin: 999999999px">x</div>',
            '<p style="font-size: 99999999px">x</p>',
            '<div style="columns: 99999999; column-gap: 99999999px">x</div>',
            '<table><tr><td colspan="99999999" rowspan="9999999">x</td></tr></table>',
        ],
    )
    def test_huge_values_end_in_a_pdf_or_a_clean_failure_never_a_hang(self, markup):
        try:
            rendering = pdf.render(f"<html><body>{markup}</body></html>", time_limit=20)
        except pdf.RenderError as error:
            assert error.reason
        else:
            assert rendering.pdf.startswith(b"%PDF")


def payloads_of(text: str) -> list[str]:
    return text.split(" <")[:1]


def typed(model, **values) -> dict:
    """`values` as a user could type them: cut to each column's length (PostgreSQL enforces
    it; SQLite would not)."""
    return {
        name: value[: model._meta.get_field(name).max_length or None]
        if isinstance(value, str)
        else value
        for name, value in values.items()
    }


def fill_every_field(mission: Mission, version: ReportVersion, text: str) -> None:
    """Put `text` into every field a user types that reaches a PDF (as much as each holds)."""
    Mission.objects.filter(pk=mission.pk).update(**typed(Mission, title=f"Mission {text}"))
    ReportVersion.objects.filter(pk=version.pk).update(
        **{name: f"{name} {text}" for name in ReportVersion.SECTIONS}, internal_sections=[]
    )
    ReportFinding.objects.filter(version=version).update(text=f"Finding {text}")
    ActionPoint.objects.filter(mission=mission).update(
        **typed(
            ActionPoint,
            text=f"Point {text}",
            addressee_role=f"Role {text}",
            indicator=f"Indicator {text}",
            verification=f"Verification {text}",
            resources=f"Resources {text}",
            status="open",
        )
    )
    ToRVersion.objects.filter(tor__mission=mission).update(
        **typed(ToRVersion, focus=f"Focus {text}", change_note=f"Note {text}")
    )
    Attachment.objects.filter(mission=mission).update(
        **typed(Attachment, original_name=f"Attachment {text}")
    )
    IssueCoverage.objects.filter(mission=mission).update(
        **typed(
            IssueCoverage, briefing_name=f"Briefing {text}", remote_focal_point=f"Remote {text}"
        )
    )
    first = payloads_of(text)[0]
    Organisation.objects.filter(acronym="WHO").update(**typed(Organisation, name=f"Agency {first}"))
    for nomination in mission.nominations.select_related("participant"):
        nomination.participant.first_name = f"Name {first}"[:150]
        nomination.participant.save()
    for point in ActionPoint.objects.filter(mission=mission):
        ProgressUpdate.objects.create(point=point, text=f"Update {text}", percent=50)
    mission.refresh_from_db()


@pytest.fixture
def watched(monkeypatch):
    """Render for real, keeping what each rendering fetched and refused."""
    renderings: list[pdf.Rendering] = []

    def render_pdf(html):
        rendering = pdf.render(html)
        renderings.append(rendering)
        return rendering.pdf, rendering.pages

    monkeypatch.setattr(services, "render_pdf", render_pdf)
    return renderings


class TestEveryFieldUsersType:
    def test_the_report_its_public_version_and_the_status_report_print_payloads_literally(
        self, server, watched, cast
    ):
        mission, version = reported_mission()
        text = corpus(server.url)
        fill_every_field(mission, version, text)
        mission_leader_appoint(mission, cast["leader"])

        with TestCase.captureOnCommitCallbacks(execute=True):
            documents = [
                document_request(mission, cast["gcc"], Document.Kind.REPORT),
                document_request(mission, cast["gcc"], Document.Kind.PUBLIC_REPORT),
                followup_status_request(mission, cast["leader"]),
            ]

        assert server.requests == []
        assert len(watched) == 3
        for rendering in watched:
            # The logo, through the one allowed path; nothing else was even asked for.
            assert rendering.fetched == [LOGO]
            assert rendering.refused == []
        for document in documents:
            document.refresh_from_db()
            assert document.status == Document.Status.READY, document.error
        printed = [squeezed(pdf_text(r.pdf)) for r in watched]
        for payload in payloads(server.url):
            assert squeezed(payload) in printed[0], payload
            assert squeezed(payload) in printed[1], payload
            assert squeezed(payload) in printed[2], payload

    def test_the_tor_prints_payloads_literally(self, server, watched, cast):
        mission, version = reported_mission()
        text = corpus(server.url)
        ToRVersion.objects.filter(tor__mission=mission).update(
            **dict.fromkeys(ToRVersion.SECTIONS, text)
        )

        with TestCase.captureOnCommitCallbacks(execute=True):
            document = document_request(mission, cast["gcc"], Document.Kind.TOR)

        document.refresh_from_db()
        assert document.status == Document.Status.READY, document.error
        assert server.requests == []
        assert watched[0].refused == []
        assert squeezed(payloads(server.url)[0]) in squeezed(pdf_text(watched[0].pdf))


class TestLimits:
    def test_a_rendering_over_the_time_limit_fails_cleanly_and_can_be_asked_for_again(
        self, settings, monkeypatch, cast
    ):
        mission, _ = reported_mission()
        settings.ICSM_PDF_TIME_LIMIT = 1
        huge = "<html><body>" + "<p>" + "word " * 400_000 + "</p>" * 1 + "</body></html>"
        monkeypatch.setitem(services.RENDERERS, Document.Kind.REPORT, lambda document: huge)

        with TestCase.captureOnCommitCallbacks(execute=True):
            document = document_request(mission, cast["gcc"], Document.Kind.REPORT)

        document.refresh_from_db()
        assert document.status == Document.Status.FAILED
        assert document.error == (
            "The PDF could not be made: it took longer than the limit of 1 seconds. "
            "Try again; if it fails again, tell HCSS."
        )
        assert not document.file and not document.sha256

        monkeypatch.undo()
        settings.ICSM_PDF_TIME_LIMIT = 90
        with TestCase.captureOnCommitCallbacks(execute=True):
            again = document_request(mission, cast["gcc"], Document.Kind.REPORT)
        again.refresh_from_db()
        assert again.pk == document.pk
        assert (again.status, again.error) == (Document.Status.READY, "")
        assert len(again.sha256) == 64

    def test_a_rendering_over_the_memory_limit_fails_cleanly_and_can_be_asked_for_again(
        self, settings, monkeypatch, cast
    ):
        mission, _ = reported_mission()
        settings.ICSM_PDF_MEMORY_MB = 200
        huge = "<html><body><p>" + "word " * 4_000_000 + "</p></body></html>"
        monkeypatch.setitem(services.RENDERERS, Document.Kind.REPORT, lambda document: huge)

        with TestCase.captureOnCommitCallbacks(execute=True):
            document = document_request(mission, cast["gcc"], Document.Kind.REPORT)

        document.refresh_from_db()
        assert document.status == Document.Status.FAILED
        assert document.error == (
            "The PDF could not be made: it needed more memory than the limit of 200 MB. "
            "Try again; if it fails again, tell HCSS."
        )

        monkeypatch.undo()
        settings.ICSM_PDF_MEMORY_MB = 1024
        with TestCase.captureOnCommitCallbacks(execute=True):
            again = document_request(mission, cast["gcc"], Document.Kind.REPORT)
        again.refresh_from_db()
        assert (again.pk, again.status) == (document.pk, Document.Status.READY)

    def test_the_limits_apply_to_the_child_not_to_the_worker(self):
        import resource

        before = resource.getrlimit(resource.RLIMIT_AS)

        with pytest.raises(pdf.RenderMemoryLimit):
            pdf.render("<p>x</p>", memory_mb=40)

        assert resource.getrlimit(resource.RLIMIT_AS) == before
        assert pdf.render("<p>x</p>").pages == 1


class TestCrashes:
    """A child that crashes in a C library (a real segfault here, in a child of its own) is
    run once more; a second crash fails the document like any other renderer failure."""

    CRASH = ["-c", "import ctypes, faulthandler; faulthandler.enable(); ctypes.string_at(0)"]

    def _crashing(self, monkeypatch, crashes: int) -> list:
        real_run, calls = subprocess.run, []

        def run(command, **kwargs):
            calls.append(command)
            if len(calls) <= crashes:
                kwargs.pop("input", None)
                return real_run([sys.executable, *self.CRASH], **kwargs)
            return real_run(command, **kwargs)

        monkeypatch.setattr(pdf.subprocess, "run", run)
        return calls

    def test_a_crash_is_tried_once_more_and_the_pdf_made(self, monkeypatch, caplog):
        calls = self._crashing(monkeypatch, crashes=1)

        rendering = pdf.render("<p>After a crash.</p>")

        assert rendering.pages == 1 and len(calls) == 2
        assert "The PDF renderer crashed (SIGSEGV), trying once more" in caplog.text
        assert "Segmentation fault" in caplog.text  # the child's own traceback, for the log

    def test_a_second_crash_fails_cleanly(self, monkeypatch):
        calls = self._crashing(monkeypatch, crashes=2)

        with pytest.raises(pdf.RenderError) as failed:
            pdf.render("<p>Never made.</p>")

        assert failed.value.detail == "SIGSEGV" and len(calls) == 2
