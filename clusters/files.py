"""Serving a stored private file, for every app: always as a download, never rendered by the
browser. Here, in the lowest app, so that missions, commitments and reports serve files the
same way (the headers are in formats.downloads)."""

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404

from formats.downloads import PRIVATE_DOWNLOAD_HEADERS


def private_file_response(stored: FieldFile, filename: str, content_type: str) -> FileResponse:
    """The file as an attachment with headers that stop sniffing, scripts and shared caches.

    The caller has already checked that the user may see it; a missing file is a 404.
    """
    try:
        handle = stored.storage.open(stored.name, "rb")
    except (OSError, ValueError):
        raise Http404("The file is missing.") from None
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    for header, value in PRIVATE_DOWNLOAD_HEADERS.items():
        response[header] = value
    return response
