"""HTML to PDF with WeasyPrint, in a child process bounded in time and memory.

Framework-free: a string of HTML in, the PDF's bytes and its number of pages out
(`render_pdf`). The rendering runs in `python -m reports.pdf`, which limits its own address
space (RLIMIT_AS) and CPU time before it loads WeasyPrint; the parent waits for it at most
the time limit and kills it after. So a document that would take too long or too much memory
ends as an error the caller can show, and whatever WeasyPrint, Pango and fontconfig allocate
goes back to the system with the child: the worker's own memory stays flat across renders.

The child fetches nothing but the project's own static files (`static/`), named in the
templates with the fixed scheme `icsm-static:` (`icsm-static:reports/logo.svg`): no `file:`,
no network, no `data:`, no redirects, no path out of that directory. Text typed by users is
escaped by the templates; this is what holds should a tag ever get through.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import signal
import subprocess
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from formats.i18n import gettext

logger = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent.parent
# The only files a PDF may embed: the project's own static files, as they are in the source.
STATIC_DIR = PROJECT_DIR / "static"
STATIC_SCHEME = "icsm-static"
# What may be embedded, by suffix, and the type WeasyPrint is told.
CONTENT_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".css": "text/css",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
}

# Used when neither the caller nor the Django settings give a limit.
DEFAULT_TIME_LIMIT = 90
DEFAULT_MEMORY_MB = 1024
# The child's exit codes besides 0 (done).
FAILED_EXIT = 2
MEMORY_EXIT = 3
# How many refused URLs the child reports back (a hostile document may hold thousands).
MAX_REPORTED = 50
# A child that crashes outright in a C library (seen once, in a CI run of the hostile-HTML
# test; the same document rendered 40 times after it, alone and two at a time) is run once
# more before the document fails; its traceback (faulthandler) goes to the log. An abort
# (GLib refusing an allocation under the memory limit), the memory exit and the time limits
# are not tried again.
CRASHES = (-signal.SIGSEGV, -signal.SIGBUS)
CRASH_ATTEMPTS = 2


class RenderError(Exception):
    """The PDF could not be made. `reason` says why in a few words (for the log); `detail`
    names the failure (an exception's type, a signal) for the message on the page."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail or reason


class RenderTimeLimit(RenderError):
    def __init__(self, seconds: float):
        super().__init__(f"took longer than {seconds:g} s", "time limit")
        self.seconds = seconds


class RenderMemoryLimit(RenderError):
    def __init__(self, megabytes: int):
        super().__init__(f"needed more than {megabytes} MB of memory", "memory limit")
        self.megabytes = megabytes


@dataclass
class Rendering:
    """What the child made: the PDF, its pages, the URLs it fetched and refused, and the
    most memory it held (MiB resident, 0 where /proc is not there)."""

    pdf: bytes
    pages: int
    fetched: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    peak_mb: float = 0.0


def static_url(path: str) -> str:
    """The URL a template gives for one of the project's static files ("reports/logo.svg")."""
    return f"{STATIC_SCHEME}:{path}"


def resolve_static(url: str, root: Path = STATIC_DIR) -> Path:
    """The file under `root` that `url` (icsm-static:reports/logo.svg) names.

    ValueError for anything else: another scheme, a query, an absolute path, `.` or `..` (also
    percent-encoded), a symbolic link out of `root`, a missing file, a type not embedded.
    """
    scheme, colon, rest = url.partition(":")
    if not colon or scheme.lower() != STATIC_SCHEME:
        raise ValueError("Only the project's static files may be fetched.")
    rest = rest.split("#", 1)[0]  # an SVG's fragment names a part of the same file
    path = unquote(rest)
    parts = path.split("/")
    if (
        not path
        or "?" in rest
        or path.startswith("/")
        or "\\" in path
        or "\x00" in path
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise ValueError("Not a path inside the static files.")
    base = root.resolve()
    candidate = (base / path).resolve()
    if not candidate.is_relative_to(base) or not candidate.is_file():
        raise ValueError("No such static file.")
    if candidate.suffix.lower() not in CONTENT_TYPES:
        raise ValueError("This type of file is not embedded in PDFs.")
    return candidate


def static_fetcher(root: Path = STATIC_DIR):
    """WeasyPrint's URL fetcher for `root`'s files only; it raises for every other URL and
    keeps the lists of what it fetched and refused."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFilesOnly(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols=(STATIC_SCHEME,), allow_redirects=False)
            self.fetched: list[str] = []
            self.refused: list[str] = []

        # Every fetch of WeasyPrint (images, style sheets, @import, fonts, attachments, SVG
        # references, data: URLs) comes here; none reaches urllib.
        def fetch(self, url, headers=None):
            try:
                path = resolve_static(url, root)
            except ValueError:
                if len(self.refused) < MAX_REPORTED:
                    self.refused.append(url[:200])
                raise
            self.fetched.append(url)
            content_type = CONTENT_TYPES[path.suffix.lower()]
            return URLFetcherResponse(
                url, body=path.read_bytes(), headers={"Content-Type": content_type}
            )

    return StaticFilesOnly()


def render_here(html: str, root: Path = STATIC_DIR) -> Rendering:
    """Render in this process, with no limits: what the child does. Call `render` instead."""
    # Imported here: loading WeasyPrint parses its stylesheets, which only the child needs.
    import weasyprint

    fetcher = static_fetcher(root)
    document = weasyprint.HTML(string=html, url_fetcher=fetcher).render()
    return Rendering(document.write_pdf(), len(document.pages), fetcher.fetched, fetcher.refused)


def _limits(time_limit: float | None, memory_mb: int | None) -> tuple[float, int]:
    """The limits given, or else the Django settings' when Django is configured."""
    if time_limit is None or memory_mb is None:
        try:
            from django.conf import settings

            configured = settings.configured
        except ImportError:  # pragma: no cover - the child and scripts without Django
            configured = False
        if time_limit is None:
            time_limit = (
                getattr(settings, "ICSM_PDF_TIME_LIMIT", None) if configured else None
            ) or DEFAULT_TIME_LIMIT
        if memory_mb is None:
            memory_mb = (
                getattr(settings, "ICSM_PDF_MEMORY_MB", None) if configured else None
            ) or DEFAULT_MEMORY_MB
    return float(time_limit), int(memory_mb)


def render(
    html: str,
    *,
    time_limit: float | None = None,
    memory_mb: int | None = None,
    root: Path = STATIC_DIR,
) -> Rendering:
    """Render `html` in a child process killed after `time_limit` seconds and limited to
    `memory_mb` MiB of address space. Raises RenderError (or a subclass) when no PDF came."""
    time_limit, memory_mb = _limits(time_limit, memory_mb)
    command = [
        sys.executable,
        "-m",
        "reports.pdf",
        "--static",
        str(root),
        "--memory-mb",
        str(memory_mb),
        # A backstop should this process die without killing the child (a worker's hard
        # time limit): the kernel stops it once it has used this much CPU time.
        "--cpu-seconds",
        str(math.ceil(time_limit) + 5),
    ]
    for attempt in range(1, CRASH_ATTEMPTS + 1):
        try:
            done = subprocess.run(
                command,
                input=html.encode("utf-8"),
                capture_output=True,
                timeout=time_limit,
                cwd=PROJECT_DIR,
                check=False,
            )
        except subprocess.TimeoutExpired:  # run() has killed the child and waited for it
            raise RenderTimeLimit(time_limit) from None
        if done.returncode not in CRASHES or attempt == CRASH_ATTEMPTS:
            break
        logger.warning(
            "The PDF renderer crashed (%s), trying once more: %s",
            signal.Signals(-done.returncode).name,
            done.stderr[-4000:].decode(errors="replace"),
        )
    returncode, stderr = done.returncode, done.stderr[-4000:]
    if returncode == 0:
        header, newline, pdf = done.stdout.partition(b"\n")
        try:
            facts = json.loads(header)
        except ValueError:
            facts = None
        if newline and isinstance(facts, dict) and pdf.startswith(b"%PDF"):
            return Rendering(
                pdf, int(facts["pages"]), facts["fetched"], facts["refused"], facts["peak_mb"]
            )
        raise RenderError("the renderer gave no PDF", gettext("no PDF"))
    logger.warning(
        "The PDF renderer ended with %s: %s", returncode, stderr.decode(errors="replace")
    )
    if returncode == MEMORY_EXIT or b"MemoryError" in stderr:
        raise RenderMemoryLimit(memory_mb)
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise RenderTimeLimit(time_limit)
    if returncode < 0:
        # Under the memory limit, an allocation refused inside Pango or GLib ends the child
        # with a signal (GLib aborts rather than return an error).
        name = signal.Signals(-returncode).name
        raise RenderError(f"the renderer stopped ({name}), perhaps for lack of memory", name)
    lines = stderr.decode(errors="replace").strip().splitlines()
    name = lines[-1][:80] if lines else str(returncode)
    raise RenderError(f"the renderer failed ({name})", name)


def render_pdf(html: str) -> tuple[bytes, int]:
    """Render `html` as a PDF within the limits of the settings (ICSM_PDF_TIME_LIMIT seconds,
    ICSM_PDF_MEMORY_MB MiB). Returns the PDF's bytes and its number of pages."""
    rendering = render(html)
    if rendering.refused:
        logger.warning("The PDF's renderer refused to fetch %s", ", ".join(rendering.refused))
    return rendering.pdf, rendering.pages


# The child ------------------------------------------------------------------------------------


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM), in MiB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _child(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.pdf")
    parser.add_argument("--static", type=Path, default=STATIC_DIR)
    parser.add_argument("--memory-mb", type=int, default=DEFAULT_MEMORY_MB)
    parser.add_argument("--cpu-seconds", type=int, default=DEFAULT_TIME_LIMIT + 5)
    args = parser.parse_args(argv)
    # Before WeasyPrint is loaded: the limits bound everything the rendering allocates, and a
    # crash in its C libraries leaves the Python stack on stderr for the parent's log.
    import faulthandler
    import resource

    faulthandler.enable()

    memory = args.memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (args.cpu_seconds, args.cpu_seconds + 1))
    # WeasyPrint logs each refused fetch; the parent gets the list instead.
    logging.getLogger("weasyprint").setLevel(logging.CRITICAL)
    try:
        html = sys.stdin.buffer.read().decode("utf-8")
        rendering = render_here(html, args.static)
        header = json.dumps(
            {
                "pages": rendering.pages,
                "fetched": rendering.fetched,
                "refused": rendering.refused,
                "peak_mb": _peak_mb(),
            }
        ).encode()
        out = sys.stdout.buffer
        out.write(header + b"\n")
        out.write(rendering.pdf)
        out.flush()
    except MemoryError:
        os._exit(MEMORY_EXIT)  # no memory left to do anything more graceful
    except Exception as error:
        traceback.print_exc()
        # The last line of stderr names the failure for the parent's message.
        sys.stderr.write(f"\n{type(error).__name__}\n")
        return FAILED_EXIT
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
