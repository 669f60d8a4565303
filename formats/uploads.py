"""What an uploaded file really is, decided from its content.

The name a user gives a file and the content type their browser sends are both just claims;
a text file renamed `minutes.pdf` must not pass as a PDF. This module reads the bytes and
says which accepted kind they are, or why they are refused. It knows nothing of Django, so
the request form, the endorsement form and the services all use the same rules.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from typing import BinaryIO, NamedTuple

from PIL import Image


class FileKind(NamedTuple):
    label: str
    content_type: str
    extensions: tuple[str, ...]


PDF = FileKind("PDF", "application/pdf", (".pdf",))
DOCX = FileKind(
    "Word document (DOCX)",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    (".docx",),
)
XLSX = FileKind(
    "Excel workbook (XLSX)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    (".xlsx",),
)
PNG = FileKind("PNG image", "image/png", (".png",))
JPEG = FileKind("JPEG image", "image/jpeg", (".jpg", ".jpeg"))

ACCEPTED = (PDF, DOCX, XLSX, PNG, JPEG)
ACCEPTED_EXTENSIONS = ",".join(ext for kind in ACCEPTED for ext in kind.extensions)
ACCEPTED_NAMES = "PDF, Word (DOCX), Excel (XLSX), PNG or JPEG"

_PDF_MAGIC = b"%PDF-"
_ZIP_MAGIC = b"PK\x03\x04"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
# Readers look for the end-of-file marker in the last kilobyte; a PDF without one was cut short.
_PDF_TAIL = 1024


class UploadRejected(Exception):
    """The file is refused; `message` says why in words a user understands."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _format_size(size: int) -> str:
    if size >= 2**20:
        return f"{size / 2**20:.1f} MB".replace(".0 MB", " MB")
    if size >= 2**10:
        return f"{size // 2**10} KB"
    return f"{size} bytes"


def _read_at(fileobj: BinaryIO, offset: int, whence: int, length: int) -> bytes:
    fileobj.seek(offset, whence)
    return fileobj.read(length)


def _sniff_pdf(fileobj: BinaryIO, size: int) -> FileKind:
    tail = _read_at(fileobj, -min(size, _PDF_TAIL), 2, _PDF_TAIL)
    if b"%%EOF" not in tail:
        raise UploadRejected(
            "This PDF looks incomplete (its end is missing). Save or export it again and "
            "upload the new copy."
        )
    return PDF


def _sniff_office(fileobj: BinaryIO) -> FileKind:
    not_office = UploadRejected(
        f"This file is a compressed archive, not a Word or Excel document. "
        f"Upload a {ACCEPTED_NAMES} file."
    )
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
            "Documents containing macros are not accepted. Save it as a plain .docx or "
            ".xlsx file and upload that."
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
            f"This {expected.label} is damaged and cannot be opened. Save it again and upload "
            "the new copy."
        ) from None
    if image_format != pillow_format:
        raise UploadRejected(f"This is not a valid {expected.label}.")
    return expected


def sniff(fileobj: BinaryIO, size: int) -> FileKind:
    """The accepted kind of file the bytes of `fileobj` are, or UploadRejected.

    `fileobj` must be seekable; it is left at its start.
    """
    try:
        head = _read_at(fileobj, 0, 0, 16)
        if head.startswith(_PDF_MAGIC):
            return _sniff_pdf(fileobj, size)
        if head.startswith(_ZIP_MAGIC):
            return _sniff_office(fileobj)
        if head.startswith(_PNG_MAGIC):
            return _sniff_image(fileobj, PNG, "PNG")
        if head.startswith(_JPEG_MAGIC):
            return _sniff_image(fileobj, JPEG, "JPEG")
    finally:
        fileobj.seek(0)
    raise UploadRejected(
        f"This file's content is not a {ACCEPTED_NAMES} file, whatever its name says. "
        f"Upload one of those."
    )


def check_upload(fileobj: BinaryIO, size: int, max_bytes: int) -> FileKind:
    """Size first (without reading a byte of a file that is too big), then the content."""
    if size <= 0:
        raise UploadRejected("This file is empty.")
    if size > max_bytes:
        raise UploadRejected(
            f"This file is {_format_size(size)}; the limit is {_format_size(max_bytes)}. "
            "Make it smaller (for a scan, a lower resolution) and upload it again."
        )
    return sniff(fileobj, size)


_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"\\/:*?<>|]+")


def clean_filename(name: str, max_length: int = 255) -> str:
    """The user's file name, fit to show and to offer back on download (never used on disk)."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]  # some browsers send a whole Windows path
    name = _UNSAFE.sub("_", name).strip(" .")
    if not name:
        name = "document"
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
