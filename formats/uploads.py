"""What an uploaded file really is, decided from its content.

The name a user gives a file and the content type their browser sends are both just claims;
a text file renamed `minutes.pdf` must not pass as a PDF. This module reads the bytes and
says which accepted kind they are, or why they are refused. It knows nothing of Django (its
refusals are translated through formats.i18n), so the request form, the endorsement form and
the services all use the same rules.

A file that is one accepted kind may still hold a second format (a polyglot): a web page in a
PDF, a script or an archive after the end of a picture. Those are refused too, since such a
file is made to be read as the other format by whoever opens it the wrong way: a browser
that sniffs content, an archive tool, a script engine. The downloads' headers
(formats.downloads) stop browsers from doing so here; refusing the file keeps it out of
everyone's hands.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
import zlib
from typing import BinaryIO, NamedTuple

from PIL import Image

from formats.i18n import gettext, gettext_noop, ngettext


class FileKind(NamedTuple):
    label: str
    content_type: str
    extensions: tuple[str, ...]


PDF = FileKind(gettext_noop("PDF"), "application/pdf", (".pdf",))
DOCX = FileKind(
    gettext_noop("Word document (DOCX)"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    (".docx",),
)
XLSX = FileKind(
    gettext_noop("Excel workbook (XLSX)"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    (".xlsx",),
)
PNG = FileKind(gettext_noop("PNG image"), "image/png", (".png",))
JPEG = FileKind(gettext_noop("JPEG image"), "image/jpeg", (".jpg", ".jpeg"))

ACCEPTED = (PDF, DOCX, XLSX, PNG, JPEG)
ACCEPTED_EXTENSIONS = ",".join(ext for kind in ACCEPTED for ext in kind.extensions)
# The labels and ACCEPTED_NAMES are in English: translate them where they are shown (gettext).
ACCEPTED_NAMES = gettext_noop("PDF, Word (DOCX), Excel (XLSX), PNG or JPEG")

_PDF_MAGIC = b"%PDF-"
_ZIP_MAGIC = b"PK\x03\x04"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
# Readers look for the end-of-file marker in the last kilobyte; a PDF without one was cut short.
_PDF_TAIL = 1024

# What browsers take for HTML or script wherever they find it in bytes they sniff. A simple,
# case-insensitive scan of the raw bytes is the point: polyglots rely on exactly that reading.
_WEB_MARKERS = re.compile(rb"<html|<script|<svg|<iframe|javascript:", re.IGNORECASE)
# A file that begins (after a byte-order mark or white space) as a page: the tags by which
# browsers recognise HTML (the WHATWG MIME Sniffing Standard's list), or an SVG or a script.
_WEB_START = re.compile(
    rb"(?:\xef\xbb\xbf)?[\s\x00]*(?:<!--|<(?:!doctype html|html|head|script|iframe|h1|div|font"
    rb"|table|a|style|title|b|body|br|p|svg)[\s>/]|javascript:)",
    re.IGNORECASE,
)
# What is read of a file before its kind is known: about what browsers sniff.
_HEAD = 1024
# A ZIP archive's local file header or end of its central directory, which archive tools find
# wherever it stands (an archive appended to a picture or a PDF still opens as one).
_ZIP_MARKERS = re.compile(rb"PK\x03\x04|PK\x05\x06")

# Inside a stream that declares a filter, the bytes are the filter's output (deflate, JPEG):
# binary, where a four-byte marker such as `<svg` turns up by chance once in a few hundred
# megabytes. They are not scanned; everything around them is, as are unfiltered streams.
_PDF_STREAM = re.compile(rb"\bstream(?:\r\n|\n|\r)")
_PDF_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# Minutes, concept notes, briefings and reports are read, never run: a PDF that runs
# JavaScript, launches a program or carries another file inside has no business here, and
# those are what malicious PDFs use. (`/JS` and `/JavaScript` are the script actions,
# `/Launch` starts a program, `/EmbeddedFile(s)` a file attached to the PDF.)
_PDF_ACTIVE_NAMES = frozenset({b"JavaScript", b"JS", b"Launch", b"EmbeddedFile", b"EmbeddedFiles"})
# Objects may sit compressed in object streams; those are inflated to look for the names
# above, up to this much each (a deflate bomb stops there).
_PDF_OBJECT_STREAM_MAX = 16 * 2**20
_JPEG_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


class UploadRejected(Exception):
    """The file is refused; `message` says why in words a user understands, in the language
    active when it was raised. `template` is the English text it was made from (one of the
    constants below, or a text with `%(name)s` placeholders filled from `params`)."""

    def __init__(self, template: str, **params):
        message = gettext(template)
        if params:
            message %= params
        super().__init__(message)
        self.template = template
        self.message = message


WEB_PAGE = gettext_noop(
    "This file is a web page or a script, not a document. Upload the document itself."
)
PDF_WITH_WEB_CODE = gettext_noop(
    "This PDF also holds web-page code (HTML or script), which a document does not need and "
    "which is how files are made to attack browsers. Print it to a new PDF, or export it "
    "again from the program that made it, and upload that copy."
)
PDF_WITH_ACTIONS = gettext_noop(
    "This PDF contains JavaScript, a file attached inside it or an action that starts a "
    "program: a document to be read needs none of these. Print it to a new PDF, or export it "
    "again without attachments, and upload that copy."
)
HIDDEN_ARCHIVE = gettext_noop(
    "This file has a compressed archive (ZIP) hidden inside it. Save or export the document "
    "again and upload the new copy."
)
DATA_AFTER_IMAGE = gettext_noop(
    "This picture has other data hidden after the end of the image. Open it and save it again "
    "as a new PNG or JPEG (or take a screenshot of it) and upload that copy."
)
IMAGE_WITH_WEB_CODE = gettext_noop(
    "This picture also holds web-page code (HTML or script) in its description. Save it again "
    "as a new PNG or JPEG (or take a screenshot of it) and upload that copy."
)
DAMAGED_IMAGE = gettext_noop(
    "This picture is damaged and cannot be read to its end. Save it again and upload the new copy."
)


NOT_AN_OFFICE_FILE = gettext_noop(
    "This file is a compressed archive, not a Word or Excel document. Upload a %(kinds)s file."
)
NOT_AN_ACCEPTED_KIND = gettext_noop(
    "This file's content is not a %(kinds)s file, whatever its name says. Upload one of those."
)


def _format_size(size: int) -> str:
    if size >= 2**20:
        return gettext("%(number)s MB") % {"number": f"{size / 2**20:.1f}".removesuffix(".0")}
    if size >= 2**10:
        return gettext("%(number)s KB") % {"number": size // 2**10}
    return ngettext("%(number)s byte", "%(number)s bytes", size) % {"number": size}


def _read_at(fileobj: BinaryIO, offset: int, whence: int, length: int) -> bytes:
    fileobj.seek(offset, whence)
    return fileobj.read(length)


def _sniff_pdf(fileobj: BinaryIO, size: int) -> FileKind:
    tail = _read_at(fileobj, -min(size, _PDF_TAIL), 2, _PDF_TAIL)
    if b"%%EOF" not in tail:
        raise UploadRejected(
            gettext_noop(
                "This PDF looks incomplete (its end is missing). Save or export it again and "
                "upload the new copy."
            )
        )
    return PDF


def _pdf_visible_parts(data: bytes) -> tuple[list[memoryview], list[bytes]]:
    """The PDF's bytes outside its filtered streams, in pieces, and its object streams
    inflated (those that inflate at all: one a reader cannot inflate is no object either)."""
    view = memoryview(data)
    visible, objects = [], []
    start = 0
    for match in _PDF_STREAM.finditer(data):
        if match.start() < start:
            continue  # "stream" inside a stream already passed over
        header_from = data.rfind(b"obj", start, match.start())
        header = data[max(header_from, start) : match.start()]
        if b"/Filter" not in header:
            continue
        body_end = data.find(b"endstream", match.end())
        if body_end < 0:
            body_end = len(data)
        visible.append(view[start : match.end()])
        if b"/ObjStm" in header:
            try:
                inflated = zlib.decompressobj().decompress(
                    view[match.end() : body_end], _PDF_OBJECT_STREAM_MAX
                )
            except zlib.error:
                inflated = b""
            objects.append(inflated)
        start = body_end
    visible.append(view[start:])
    return visible, objects


def _pdf_names(part) -> set[bytes]:
    """The names (`/Type`, `/JavaScript`) in a piece of PDF, with `#xx` escapes read, since
    `/J#61vaScript` is `/JavaScript` to a reader."""
    return {
        _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), name)
        for name in _PDF_NAME.findall(part)
    }


def _check_pdf_content(data: bytes) -> None:
    visible, objects = _pdf_visible_parts(data)
    if any(_WEB_MARKERS.search(part) for part in visible):
        raise UploadRejected(PDF_WITH_WEB_CODE)
    if any(_ZIP_MARKERS.search(part) for part in visible):
        raise UploadRejected(HIDDEN_ARCHIVE)
    if any(_pdf_names(part) & _PDF_ACTIVE_NAMES for part in [*visible, *objects]):
        raise UploadRejected(PDF_WITH_ACTIONS)


def _sniff_office(fileobj: BinaryIO) -> FileKind:
    not_office = UploadRejected(NOT_AN_OFFICE_FILE, kinds=gettext(ACCEPTED_NAMES))
    try:
        # Only the archive's table of contents is read: nothing is decompressed.
        with zipfile.ZipFile(fileobj) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise not_office from None
    if "[Content_Types].xml" not in names:
        raise not_office
    if "word/vbaProject.bin" in names or "xl/vbaProject.bin" in names:
        raise UploadRejected(
            gettext_noop(
                "Documents containing macros are not accepted. Save it as a plain .docx or "
                ".xlsx file and upload that."
            )
        )
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    raise not_office


def _sniff_image(fileobj: BinaryIO, expected: FileKind, pillow_format: str) -> FileKind:
    fileobj.seek(0)
    try:
        with Image.open(fileobj) as image:
            image_format = image.format
            image.verify()
    except Exception:  # Pillow raises many kinds of error for a damaged or hostile image
        raise UploadRejected(
            gettext_noop(
                "This %(kind)s is damaged and cannot be opened. Save it again and upload the "
                "new copy."
            ),
            kind=gettext(expected.label),
        ) from None
    if image_format != pillow_format:
        raise UploadRejected(
            gettext_noop("This is not a valid %(kind)s."), kind=gettext(expected.label)
        )
    return expected


def _jpeg_end(data: bytes) -> tuple[int, list[memoryview]] | None:
    """Where the JPEG's image ends (just past its end marker, FFD9), and its metadata segments
    (comments, APPn); None when its segments do not lead to an end.

    The end is found by walking the segments, not by looking for FFD9: those bytes may stand
    inside a segment (a thumbnail has its own), and an appended file may hold them too."""
    view = memoryview(data)
    metadata = []
    position = 2  # past the start-of-image marker
    while position + 2 <= len(data):
        if data[position] != 0xFF:
            # Stray bytes between segments: readers skip them to the next marker, so this
            # does too, and looks at them as it looks at the metadata.
            found = _JPEG_NEXT_MARKER.search(data, position)
            if found is None:
                return None
            metadata.append(view[position : found.start()])
            position = found.start()
            continue
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker == 0xD9:
            return position + 2, metadata
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a segment
            position += 2
            continue
        if position + 4 > len(data):
            return None
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        segment_end = position + 2 + length
        if length < 2 or segment_end > len(data):
            return None
        if marker == 0xFE or 0xE0 <= marker <= 0xEF:
            metadata.append(view[position + 4 : segment_end])
        position = segment_end
        if marker == 0xDA:
            # The compressed scan that follows a start of scan holds no marker (an FF in it
            # is followed by 00, or by D0-D7 for a restart), up to the next segment.
            found = _JPEG_NEXT_MARKER.search(data, position)
            if found is None:
                return None
            position = found.start()
    return None


def _png_end(data: bytes) -> tuple[int, list[memoryview]] | None:
    """Where the PNG ends (just past its IEND chunk), and its text chunks; None when its
    chunks do not lead to an IEND."""
    view = memoryview(data)
    texts = []
    position = len(_PNG_MAGIC)
    while position + 12 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        chunk_type = data[position + 4 : position + 8]
        chunk_end = position + 12 + length
        if chunk_end > len(data):
            return None
        if chunk_type in (b"tEXt", b"iTXt"):
            texts.append(view[position + 8 : position + 8 + length])
        if chunk_type == b"IEND":
            return chunk_end, texts
        position = chunk_end
    return None


def _check_image_content(data: bytes, kind: FileKind) -> None:
    found = _jpeg_end(data) if kind is JPEG else _png_end(data)
    if found is None:
        raise UploadRejected(DAMAGED_IMAGE)
    end, metadata = found
    after = data[end:]
    if kind is JPEG:
        after = after.rstrip(b"\x00")  # some cameras pad a JPEG with zero bytes
    if after:
        raise UploadRejected(DATA_AFTER_IMAGE)
    if any(_WEB_MARKERS.search(part) for part in metadata):
        raise UploadRejected(IMAGE_WITH_WEB_CODE)
    if any(_ZIP_MARKERS.search(part) for part in metadata):
        raise UploadRejected(HIDDEN_ARCHIVE)


def _check_second_format(fileobj: BinaryIO, kind: FileKind) -> None:
    """UploadRejected when a PDF or a picture also holds a page, a script or an archive."""
    fileobj.seek(0)
    data = fileobj.read()
    if kind is PDF:
        _check_pdf_content(data)
    else:
        _check_image_content(data, kind)
    # An archive whose directory ends the file opens in any archive tool, wherever the rest
    # of it stands (in a stream, in an image chunk).
    if zipfile.is_zipfile(io.BytesIO(data)):
        raise UploadRejected(HIDDEN_ARCHIVE)


def sniff(fileobj: BinaryIO, size: int) -> FileKind:
    """The accepted kind of file the bytes of `fileobj` are, or UploadRejected.

    A PDF or a picture that also holds a second format (a page, a script, an archive) is
    refused, and so is a file that begins as a web page. An office file is a ZIP archive and
    is checked as one (formats.uploads._sniff_office). `fileobj` must be seekable; it is left
    at its start.
    """
    try:
        head = _read_at(fileobj, 0, 0, _HEAD)
        kind = None
        if head.startswith(_PDF_MAGIC):
            kind = _sniff_pdf(fileobj, size)
        elif head.startswith(_ZIP_MAGIC):
            return _sniff_office(fileobj)
        elif head.startswith(_PNG_MAGIC):
            kind = _sniff_image(fileobj, PNG, "PNG")
        elif head.startswith(_JPEG_MAGIC):
            kind = _sniff_image(fileobj, JPEG, "JPEG")
        if kind is not None:
            _check_second_format(fileobj, kind)
            return kind
        if _WEB_START.match(head) or _WEB_MARKERS.search(head):
            raise UploadRejected(WEB_PAGE)
    finally:
        fileobj.seek(0)
    raise UploadRejected(NOT_AN_ACCEPTED_KIND, kinds=gettext(ACCEPTED_NAMES))


def check_upload(fileobj: BinaryIO, size: int, max_bytes: int) -> FileKind:
    """Size first (without reading a byte of a file that is too big), then the content."""
    if size <= 0:
        raise UploadRejected(gettext_noop("This file is empty."))
    if size > max_bytes:
        raise UploadRejected(
            gettext_noop(
                "This file is %(size)s; the limit is %(limit)s. Make it smaller (for a scan, a "
                "lower resolution) and upload it again."
            ),
            size=_format_size(size),
            limit=_format_size(max_bytes),
        )
    return sniff(fileobj, size)


_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"\\/:*?<>|]+")


def clean_filename(name: str, max_length: int = 255) -> str:
    """The user's file name, fit to show and to offer back on download (never used on disk)."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]  # some browsers send a whole Windows path
    name = _UNSAFE.sub("_", name).strip(" .")
    if not name:
        name = gettext("document")
    if len(name) > max_length:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) < 10:
            name = stem[: max_length - len(ext) - 1] + "." + ext
        else:
            name = name[:max_length]
    return name


def download_name(original_name: str, content_type: str) -> str:
    """The name to offer on download: the original one, with an extension that fits the
    content, so a PDF named `minutes.exe` is saved as `minutes.exe.pdf`."""
    for kind in ACCEPTED:
        if kind.content_type == content_type:
            if original_name.lower().endswith(kind.extensions):
                return original_name
            return original_name + kind.extensions[0]
    return original_name
