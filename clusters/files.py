"""Serving a stored private file, for every app: always as a download, never rendered by the
browser, and in the audit log when someone other than its uploader takes it. Here, in the
lowest app, so that missions, commitments and reports serve files the same way (the headers
are in formats.downloads)."""

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _

from clusters.services import audit_file_download
from formats.downloads import PRIVATE_DOWNLOAD_HEADERS


def private_file_response(
    request: HttpRequest,
    stored: FieldFile,
    filename: str,
    content_type: str,
    *,
    uploader_id: int | None,
    public: bool = False,
) -> FileResponse:
    """The file as an attachment with headers that stop sniffing, scripts and shared caches.

    The caller has already checked that the user may see it; a missing file is a 404. A
    download by a signed-in user other than `uploader_id` is in the audit log; what the
    uploader is depends on the file, so each caller says (None: nobody in particular, and
    every signed-in download is recorded). A `public` file (a published report) is anyone's:
    its downloads are not.
    """
    try:
        handle = stored.storage.open(stored.name, "rb")
    except (OSError, ValueError):
        raise Http404(_("The file is missing.")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    for header, value in PRIVATE_DOWNLOAD_HEADERS.items():
        response[header] = value
    if not public:
        audit_file_download(request, stored.instance, filename, uploader_id)
    return response
