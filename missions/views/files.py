"""Serving a stored private file: always as a download, never rendered by the browser."""

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404


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
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-cache"
    return response
