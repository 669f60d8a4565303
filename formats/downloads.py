"""What a stored upload is served with: always as a download, never rendered by the browser.

The headers stop content sniffing (a file passed off as a PDF must not run as HTML), scripts
and plugins (a sandbox with nothing allowed) and shared caches (the file is private). Every
view that hands out a private file sets all of them.
"""

PRIVATE_DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-cache",
}
