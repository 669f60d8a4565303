"""The public face of the mission reports, for anyone and with no login: the list of published
reports (filtered by country and year), each one's page and public PDF, and their Atom feed.

Only published reports appear; a withdrawn one is gone from every page, its PDF and the feed.
What the pages show of a report is its public version only (reports.selectors.publication).
Its PDF is offered in the visitor's language once made; until then, in the language it is
ready in, and theirs is asked for.
"""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse, reverse_lazy
from django.utils.cache import patch_vary_headers
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from clusters.files import private_file_response
from formats.uploads import clean_filename
from reports.models import Document, Publication
from reports.selectors.publication import (
    public_countries,
    public_pdf,
    public_version,
    public_years,
    published,
    published_filtered,
)
from reports.services.publication import public_pdf_request

PER_PAGE = 20
FEED_ENTRIES = 50


def _year(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() and len(value) == 4 else None


@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    """Published reports, newest first, filtered by country (its code) and year."""
    country = request.GET.get("country", "").strip().upper()[:3]
    year = _year(request.GET.get("year", ""))
    page = Paginator(published_filtered(country, year), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/public/list.html",
        {
            "page": page,
            "countries": public_countries(),
            "years": public_years(),
            "country": country,
            "year": year,
            "filtered": bool(country or year),
        },
    )


def _pdfs(request: HttpRequest, publication: Publication) -> tuple[Document | None, bool]:
    """The PDF to hand this visitor (theirs once ready, else one that is) and whether theirs
    is on its way (asked for now if it was not yet)."""
    language = request.LANGUAGE_CODE
    pdf = public_pdf(publication, language)
    if pdf is not None and pdf.language == language:
        return pdf, False
    theirs = public_pdf_request(publication, language)
    return pdf, theirs is not None and theirs.in_progress


@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    publication = get_object_or_404(published(), pk=pk)
    version, sections, findings = public_version(publication)
    pdf, coming = _pdfs(request, publication)
    return render(
        request,
        "reports/public/detail.html",
        {
            "publication": publication,
            "mission": publication.mission,
            "version": version,
            "sections": sections,
            "findings": findings,
            "pdf": pdf,
            "coming": coming,
        },
    )


@require_GET
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The public PDF, while the report is published and once the PDF is ready: in the
    visitor's language, or in the one it is ready in while theirs is made."""
    publication = get_object_or_404(published(), pk=pk)
    document, _coming = _pdfs(request, publication)
    if document is None:
        raise Http404(_("The public PDF of this report is not ready."))
    title = publication.mission.title.replace("/", "-").replace("\\", "-")
    name = clean_filename(
        _("Mission report (public version) - %(title)s - v%(number)s.pdf")
        % {"title": title, "number": publication.version}
    )
    response = private_file_response(
        request, document.file, name, "application/pdf", uploader_id=None, public=True
    )
    # Which file depends on the visitor's language; one in another language is not kept, so
    # that theirs replaces it once ready.
    theirs = document.language == request.LANGUAGE_CODE
    response["Cache-Control"] = "public, max-age=300" if theirs else "no-cache"
    response["Content-Language"] = document.language
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response


class PublishedReportsFeed(Feed):
    """The published mission reports as an Atom feed, newest first."""

    feed_type = Atom1Feed
    title = gettext_lazy("Inter-cluster support missions: published reports")
    subtitle = gettext_lazy(
        "The public versions of the final reports of inter-cluster support missions."
    )
    link = reverse_lazy("public:list")

    def items(self):
        return published()[:FEED_ENTRIES]

    def item_title(self, item: Publication) -> str:
        return item.mission.title

    def item_description(self, item: Publication) -> str:
        # The summary is plain text; Atom's summary is HTML.
        return escape(item.summary)

    def item_link(self, item: Publication) -> str:
        return reverse("public:detail", args=[item.pk])

    def item_pubdate(self, item: Publication):
        return item.published_at

    def item_updateddate(self, item: Publication):
        return item.published_at

    def item_categories(self, item: Publication) -> list[str]:
        return [item.mission.country.name]
