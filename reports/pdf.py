"""HTML to PDF with WeasyPrint. Framework-free: a string of HTML in, the PDF's bytes out."""

from __future__ import annotations


def render_pdf(html: str, base_url: str | None = None) -> tuple[bytes, int]:
    """Render `html` as a PDF. Returns the PDF's bytes and its number of pages."""
    # Imported here: loading WeasyPrint parses its stylesheets, which only workers need.
    import weasyprint
    from weasyprint.urls import URLFetcher

    # The documents are self-contained (inline CSS, no images): fetch nothing, so text typed
    # by users can never make the renderer read a local file or call the network.
    no_fetching = URLFetcher(allowed_protocols=())
    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=no_fetching).render()
    return document.write_pdf(), len(document.pages)
