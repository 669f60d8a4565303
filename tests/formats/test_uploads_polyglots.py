"""Files that are two formats at once (polyglots) are refused with a message and never stored,
through the real upload pages; honest files of every accepted kind still go through; what is
stored has a random name, and every download view serves it as an attachment that is never
sniffed, run or cached by others."""

import datetime
import functools
import io
import re
import zipfile
import zlib

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from PIL import Image
from weasyprint import HTML

from commitments.services.assessment import AnswerInput, assessment_save
from formats import uploads
from formats.uploads import UploadRejected, sniff
from missions.models import Attachment, Evidence, Mission, ProgressUpdate
from missions.services.followup import action_point_create, point_transition
from missions.services.permissions import mission_leader_appoint
from missions.services.preparation import briefing_upload
from reports.services.distribution import delivery_token
from tests.factories import UserFactory, make_mission, point_fields
from tests.missions.test_intake import request_data
from tests.test_url_matrix import build_world

NEW_REQUEST = reverse("missions:new")
RANDOM_NAME = re.compile(r"[0-9a-f]{32}")

# Honest files ---------------------------------------------------------------------------------

MINIMAL_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@functools.cache
def real_pdf() -> bytes:
    """A PDF as a program makes one: compressed content and font streams, a cross-reference."""
    return HTML(
        string="<h1>Minutes of the HCT</h1><p>The HCT agreed to ask for a mission. "
        "<a href='https://example.org/agenda'>Agenda</a></p>"
    ).write_pdf()


def jpeg(**options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def png(**options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 130, 30)).save(buffer, "PNG", **options)
    return buffer.getvalue()


def png_text(text: str) -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", text)
    return png(pnginfo=info)


def jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010E] = "Flooded road near Sukkur"  # ImageDescription
    exif[0x0110] = "Phone camera"  # Model
    return jpeg(exif=exif.tobytes())


def zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("notes.txt", "Nothing to see here, " * 20)
    return buffer.getvalue()


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document><body>Concept note</body></document>")
    return buffer.getvalue()


def xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Cluster", "Partners"])
    workbook.active.append(["Health", 12])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


def before_iend(image: bytes, chunk: bytes) -> bytes:
    """`image` with `chunk` as its last chunk before IEND (with a right CRC: a valid PNG)."""
    end = image.rindex(b"IEND") - 4
    return image[:end] + chunk + image[end:]


def pdf_with(catalog_extra: bytes = b"", objects: bytes = b"", after: bytes = b"") -> bytes:
    """A small PDF whose catalog holds `catalog_extra`, with more `objects` after it."""
    return (
        b"%PDF-1.5\n1 0 obj << /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        + objects
        + b"trailer << /Root 1 0 R >>\n%%EOF\n"
        + after
    )


def object_stream(body: bytes) -> bytes:
    """Object 4, compressed inside an object stream (object 3), as PDF 1.5 writers do."""
    header = b"4 0 "
    data = zlib.compress(header + body)
    return (
        b"3 0 obj << /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >> stream\n"
        % (len(header), len(data))
        + data
        + b"\nendstream\nendobj\n"
    )


def insert_after_header(pdf: bytes, extra: bytes) -> bytes:
    first_line = pdf.index(b"\n") + 1
    return pdf[:first_line] + extra + pdf[first_line:]


HONEST = {
    "a PDF made by a program": real_pdf,
    "a minimal PDF": lambda: MINIMAL_PDF,
    # Inside a filtered stream the bytes are the filter's output: a marker there is chance.
    "a PDF whose compressed image data happens to hold <svg": lambda: pdf_with(
        objects=b"3 0 obj << /Type /XObject /Subtype /Image /Filter /DCTDecode /Length 24 >>"
        b" stream\n\x8a\x01<sVg\x00\xffPK\x03\x04\x9c\x10\x07javascript:\nendstream\nendobj\n"
    ),
    "a JPEG": jpeg,
    "a progressive JPEG": lambda: jpeg(progressive=True, quality=90),
    "a JPEG with EXIF metadata": jpeg_with_exif,
    "a JPEG padded with zero bytes": lambda: jpeg() + b"\x00" * 16,
    "a PNG": png,
    "a PNG with a text chunk": lambda: png_text("Taken at the HCT meeting"),
    "a Word document": docx,
    "an Excel workbook": xlsx,
}

# Polyglots: each is a valid file of its first kind, and something else as well ---------------

PAGE = b"<html><body><script>alert(document.domain)</script></body></html>\n"

POLYGLOTS = {
    "PDF with an HTML page in a comment": (
        lambda: insert_after_header(real_pdf(), b"%" + PAGE),
        uploads.PDF_WITH_WEB_CODE,
    ),
    "PDF with a script in an unfiltered stream": (
        lambda: pdf_with(
            objects=b"3 0 obj << /Length 40 >> stream\n<SCRIPT>alert(1)</SCRIPT>\nendstream\n"
            b"endobj\n"
        ),
        uploads.PDF_WITH_WEB_CODE,
    ),
    "PDF with an iframe after its end": (
        lambda: real_pdf() + b"<iframe src='https://attacker.example/'></iframe>\n",
        uploads.PDF_WITH_WEB_CODE,
    ),
    "PDF with an SVG in its trailer": (
        lambda: pdf_with(after=b"<svg onload=alert(1)>\n%%EOF\n"),
        uploads.PDF_WITH_WEB_CODE,
    ),
    "PDF with a javascript: link": (
        lambda: pdf_with(b"/OpenAction << /S /URI /URI (JavaScript:alert(1)) >>"),
        uploads.PDF_WITH_WEB_CODE,
    ),
    "PDF that runs JavaScript when opened": (
        lambda: pdf_with(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
        uploads.PDF_WITH_ACTIONS,
    ),
    "PDF whose JavaScript is spelt with escapes (/J#61vaScript)": (
        lambda: pdf_with(b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>"),
        uploads.PDF_WITH_ACTIONS,
    ),
    "PDF with JavaScript in a compressed object stream": (
        lambda: pdf_with(
            b"/OpenAction 4 0 R", object_stream(b"<< /S /JavaScript /JS (app.alert(1)) >>")
        ),
        uploads.PDF_WITH_ACTIONS,
    ),
    "PDF that launches a program": (
        lambda: pdf_with(b"/OpenAction << /S /Launch /F (cmd.exe) >>"),
        uploads.PDF_WITH_ACTIONS,
    ),
    "PDF with a file embedded": (
        lambda: pdf_with(
            b"/Names << /EmbeddedFiles << /Names [(a.exe) 3 0 R] >> >>",
            b"3 0 obj << /Type /Filespec /F (a.exe) /EF << /F 4 0 R >> >> endobj\n"
            b"4 0 obj << /Type /EmbeddedFile /Length 2 >> stream\nMZ\nendstream\nendobj\n",
        ),
        uploads.PDF_WITH_ACTIONS,
    ),
    "PDF with a ZIP appended": (
        lambda: real_pdf() + zip_archive(),
        uploads.HIDDEN_ARCHIVE,
    ),
    # A stream declared compressed that never ends hides its bytes from the scan; the
    # archive's directory at the end of the file still gives it away.
    "PDF with a ZIP in a stream that never ends": (
        lambda: (
            b"%PDF-1.5\n1 0 obj << /Type /Catalog >> endobj\n"
            b"3 0 obj << /Filter /FlateDecode >> stream\n" + zip_archive() + b"\n%%EOF\n"
        ),
        uploads.HIDDEN_ARCHIVE,
    ),
    "JPEG with an HTML page after its end (FFD9)": (
        lambda: jpeg() + PAGE,
        uploads.DATA_AFTER_IMAGE,
    ),
    "JPEG with a ZIP after its end": (
        lambda: jpeg_with_exif() + zip_archive(),
        uploads.DATA_AFTER_IMAGE,
    ),
    "JPEG with a script in its comment": (
        lambda: jpeg(comment=b"*/=1;<script>alert(1)</script>/*"),
        uploads.IMAGE_WITH_WEB_CODE,
    ),
    "PNG with a ZIP after IEND": (
        lambda: png() + zip_archive(),
        uploads.DATA_AFTER_IMAGE,
    ),
    "PNG with a ZIP in a chunk of its own": (
        lambda: before_iend(png(), png_chunk(b"zpKg", zip_archive())),
        uploads.HIDDEN_ARCHIVE,
    ),
    "PNG with a script in a text chunk": (
        lambda: png_text("<script>alert(1)</script>"),
        uploads.IMAGE_WITH_WEB_CODE,
    ),
    "GIF with a script": (
        lambda: b"GIF89a\x01\x00\x01\x00\x00\x00\x00;<script>alert(1)</script>",
        uploads.WEB_PAGE,
    ),
    "an HTML page": (lambda: b"\n  <!DOCTYPE html><html><p>Minutes</p></html>", uploads.WEB_PAGE),
    "an HTML page with a byte-order mark": (lambda: b"\xef\xbb\xbf<HTML></HTML>", uploads.WEB_PAGE),
    "an SVG picture": (
        lambda: b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        uploads.WEB_PAGE,
    ),
    "a script": (lambda: b"<script>fetch('/admin/')</script>", uploads.WEB_PAGE),
}

# The ones the issue names, for the pages.
CRAFTED = [
    "PDF with an HTML page in a comment",
    "JPEG with an HTML page after its end (FFD9)",
    "PNG with a ZIP after IEND",
    "GIF with a script",
    "PDF with a ZIP appended",
]


def sniffed(data: bytes):
    return sniff(io.BytesIO(data), len(data))


@pytest.mark.parametrize("name", HONEST)
def test_an_honest_file_is_accepted(name):
    data = HONEST[name]()
    assert sniffed(data) in uploads.ACCEPTED


@pytest.mark.parametrize("name", POLYGLOTS)
def test_a_polyglot_is_refused_with_its_reason(name):
    build, message = POLYGLOTS[name]
    with pytest.raises(UploadRejected) as refused:
        sniffed(build())
    assert refused.value.message == message


def test_the_polyglots_are_still_files_of_their_first_kind():
    """Not strawmen: the images open, and the appended archives open as archives."""
    for name in ("JPEG with an HTML page after its end (FFD9)", "PNG with a ZIP after IEND"):
        with Image.open(io.BytesIO(POLYGLOTS[name][0]())) as image:
            image.verify()
    for name in ("PNG with a ZIP after IEND", "PDF with a ZIP appended"):
        with zipfile.ZipFile(io.BytesIO(POLYGLOTS[name][0]())) as archive:
            assert archive.namelist() == ["notes.txt"]


def test_an_image_cut_short_is_refused_as_damaged():
    data = jpeg()
    with pytest.raises(UploadRejected) as refused:
        sniffed(data[: data.rindex(b"\xff\xd9")])
    assert "damaged" in refused.value.message


# Through the pages ----------------------------------------------------------------------------


@pytest.fixture
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def stored_files(media) -> list:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


@pytest.mark.parametrize("name", CRAFTED)
def test_the_request_form_refuses_a_polyglot_next_to_the_field_and_stores_nothing(
    client, cast, private_media, name
):
    build, message = POLYGLOTS[name]
    client.force_login(cast["rc_hc_pakistan"])
    upload = SimpleUploadedFile("minutes.pdf", build(), content_type="application/pdf")
    response = client.post(NEW_REQUEST, request_data(hct_minutes=upload))
    assert response.status_code == 200
    assert response.context["form"].errors["hct_minutes"] == [message]
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Mission.objects.exists()
    assert not Attachment.objects.exists()
    assert stored_files(private_media) == []


@pytest.fixture
def point(cast):
    """An open action point of a mission in Pakistan, with its owner."""
    mission = make_mission(
        "PAK",
        status="in_country",
        in_country_from=datetime.date(2026, 3, 1),
        in_country_to=datetime.date(2026, 3, 12),
    )
    mission_leader_appoint(mission, cast["leader"])
    owner = UserFactory(username="owner-wash")
    point = action_point_create(mission, cast["leader"], **point_fields(owner))
    point_transition(point, "open", cast["leader"])
    return point


@pytest.mark.parametrize("name", CRAFTED)
def test_the_progress_form_refuses_polyglot_evidence_and_stores_nothing(
    client, point, private_media, name
):
    build, message = POLYGLOTS[name]
    client.force_login(point.owner)
    upload = SimpleUploadedFile("evidence.pdf", build(), content_type="application/pdf")
    response = client.post(
        reverse("missions:action_point_progress", args=[point.pk]),
        {"text": "The working group met.", "files": [upload]},
    )
    assert response.status_code == 400
    assert response.context["progress_form"].errors["files"] == [f"evidence.pdf: {message}"]
    assert not ProgressUpdate.objects.exists() and not Evidence.objects.exists()
    assert stored_files(private_media) == []


@pytest.mark.parametrize(
    "name", ["a PDF made by a program", "a JPEG", "a PNG", "a Word document", "an Excel workbook"]
)
def test_an_honest_file_is_kept_under_a_random_name_and_served_as_it_came(
    client, cast, private_media, name
):
    data = HONEST[name]()
    client.force_login(cast["rc_hc_pakistan"])
    upload = SimpleUploadedFile("HCT minutes.pdf", data, content_type="application/pdf")
    assert client.post(NEW_REQUEST, request_data(hct_minutes=upload)).status_code == 302
    attachment = Attachment.objects.get()
    assert re.fullmatch(rf"missions/{attachment.mission_id}/[0-9a-f]{{32}}", attachment.file.name)
    assert (private_media / attachment.file.name).read_bytes() == data
    assert attachment.original_name == "HCT minutes.pdf"  # kept to show, never used on disk
    response = client.get(
        reverse("missions:attachment", args=[attachment.mission_id, attachment.pk])
    )
    assert b"".join(response.streaming_content) == data


def test_evidence_is_kept_under_a_random_name_and_served_as_an_attachment(
    client, point, private_media
):
    client.force_login(point.owner)
    upload = SimpleUploadedFile("minutes.pdf", real_pdf(), content_type="application/pdf")
    response = client.post(
        reverse("missions:action_point_progress", args=[point.pk]),
        {"text": "The working group met.", "files": [upload]},
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert re.fullmatch(rf"missions/{point.mission_id}/evidence/[0-9a-f]{{32}}", evidence.file.name)
    response = client.get(reverse("missions:evidence", args=[evidence.pk]))
    assert_private_download(response, "minutes.pdf")


# The other writers, through their services: the same refusal, in their own words' place ------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The URL matrix's world: a file of each kind stored through the services, in each
    scope (built once for the module, rolled back at its end)."""
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        with transaction.atomic():
            yield build_world()
            transaction.set_rollback(True)


def test_a_briefing_paper_that_is_a_polyglot_is_refused_with_its_reason(db, world):
    own = world.places["own"]
    gcc = get_user_model().objects.get(username="setup-gcc")
    build, message = POLYGLOTS["PDF with an HTML page in a comment"]
    with pytest.raises(ValidationError) as refused:
        briefing_upload(own.planned, gcc, own.issue, SimpleUploadedFile("briefing.pdf", build()))
    assert refused.value.message_dict == {"briefing": [message]}


def test_self_assessment_evidence_that_is_a_polyglot_is_refused_with_its_reason(db, world):
    place = world.places["own"].commitments
    build, message = POLYGLOTS["JPEG with an HTML page after its end (FFD9)"]
    evidence = SimpleUploadedFile("photo.jpg", build())
    with pytest.raises(ValidationError) as refused:
        assessment_save(
            place.assessment,
            world.partner_pakistan,
            answers={place.answer.item_id: AnswerInput(rating="met", file=evidence)},
        )
    assert refused.value.message_dict == {f"file_{place.answer.item_id}": [message]}


# Every download view -----------------------------------------------------------------------


def assert_private_download(response, filename: str, public: bool = False):
    """A download: never shown in the browser, never sniffed, never run (a sandbox with
    nothing allowed), never kept by shared caches unless it is the public report."""
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert filename in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    if public:
        assert response["Cache-Control"] == "public, max-age=300"
    else:
        assert re.fullmatch(r"private, no-(cache|store)", response["Cache-Control"])
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def download_cases(world) -> dict:
    """Each download view of the world's files: (who downloads, its URL, the file's name)."""
    own = world.places["own"]
    gcc = get_user_model().objects.get(username="setup-gcc")
    return {
        "missions:attachment": (
            world.user,
            reverse("missions:attachment", args=[own.draft.pk, own.attachment.pk]),
            "minutes.pdf",
        ),
        "missions:briefing": (
            gcc,
            reverse("missions:briefing", args=[own.planned.pk, own.issue.pk]),
            "briefing.pdf",
        ),
        "commitments:evidence": (
            world.partner_pakistan,
            reverse("commitments:evidence", args=[own.commitments.answer.pk]),
            "minutes.pdf",
        ),
        "reports:download": (gcc, reverse("reports:download", args=[own.document.pk]), ".pdf"),
        "public:pdf": (None, reverse("public:pdf", args=[own.publication.pk]), ".pdf"),
        "reports:delivery": (
            None,
            reverse("reports:delivery", args=[delivery_token(own.delivery)]),
            ".pdf",
        ),
    }


DOWNLOAD_VIEWS = [
    "missions:attachment",
    "missions:briefing",
    "commitments:evidence",
    "reports:download",
    "public:pdf",
    "reports:delivery",
]


@pytest.mark.parametrize("view", DOWNLOAD_VIEWS)
def test_every_download_view_serves_an_attachment_never_sniffed_or_run(client, db, world, view):
    who, url, filename = download_cases(world)[view]
    if who is not None:
        client.force_login(who)
    assert_private_download(client.get(url), filename, public=view == "public:pdf")


def test_the_world_stores_every_file_under_a_random_name(db, world):
    own = world.places["own"]
    names = [
        own.attachment.file.name,
        own.planned.issue_coverage.get(cross_cutting_issue=own.issue).briefing.name,
        own.commitments.answer.file.name,
    ]
    assert all(RANDOM_NAME.fullmatch(name.rsplit("/", 1)[-1]) for name in names), names
