"""The mission report's PDF: speed and the worker's memory, on a throw-away database.

Not a test: numbers depend on the machine. It renders a report of about 10 pages and one of
about 40 (seeded with findings and action points) through the worker's own path
(`document_render`: context, template, the bounded child process, storing, SHA-256), several
times each, then 20 renders in a row, and prints:

- the median time of each and their ratio (targets: 10 pages in 2 s or less, 40 pages in no
  more than 4 times the 10-page time);
- the growth of this process's (the worker's) resident memory over the 20 renders, its peak
  (VmRSS, VmHWM), and the rendering children's peak (target: the worker's peak grows by
  50 MB or less).

The exit code is 1 when a target is missed.

    .venv/bin/python bench/report_pdf.py [--repeat 5] [--in-a-row 20]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("ICSM_VAR_DIR", tempfile.mkdtemp(prefix="icsm-bench-"))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

SMALL_PAGES, LARGE_PAGES = 10, 40
TARGET_SMALL_SECONDS = 2.0
TARGET_RATIO = 4.0
TARGET_GROWTH_MB = 50


def status_mb(field: str) -> float:
    """A figure of /proc/self/status (VmRSS: resident now, VmHWM: its peak), in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return 0.0


def seed(mission, size: int) -> None:
    """Give `mission` a report of `size` findings and `size` action points, with a team."""
    import datetime

    from django.utils import timezone

    from clusters.models import GlobalCluster
    from missions.models import ActionPoint, MissionReport, ReportFinding, ReportVersion
    from tests.factories import make_member

    for index, cluster in enumerate(("health", "wash", "shelter", "education")):
        make_member(mission, f"bench-{mission.pk}-{index}", cluster=cluster)
    report = MissionReport.objects.create(mission=mission)
    paragraph = (
        "The mission met the cluster coordinators, the HCT and the district authorities; "
        "coordination at district level depends on a few people and on short-term funding. "
    )
    version = ReportVersion.objects.create(
        report=report,
        number=1,
        **dict.fromkeys(ReportVersion.SECTIONS, paragraph * 6),
    )
    report.final_version = version
    report.save()
    clusters = list(GlobalCluster.objects.order_by("name")[:6])
    ReportFinding.objects.bulk_create(
        ReportFinding(
            version=version,
            position=index,
            cluster=clusters[index % len(clusters)],
            text=f"Finding {index}. " + paragraph * 2,
        )
        for index in range(size)
    )
    today = timezone.localdate()
    ActionPoint.objects.bulk_create(
        ActionPoint(
            mission=mission,
            number=number,
            reference=f"BENCH-{mission.pk}-{number}",
            text=f"Recommendation {number}: set up and staff a district coordination forum "
            "that meets monthly with the clusters present there.",
            addressee_kind=ActionPoint.Addressee.ROLE,
            addressee_role=("The HCT", "The RC/HC", "The ICCG", "OCHA")[number % 4],
            due_on=today + datetime.timedelta(days=number),
            indicator="The forum meets monthly; minutes are shared with the HCT.",
            verification="Minutes of the meetings.",
            status="open",
        )
        for number in range(1, size + 1)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="renders of each for the median")
    parser.add_argument("--in-a-row", type=int, default=20, help="renders for the memory")
    args = parser.parse_args()

    setup_test_environment()
    from django.test.runner import DiscoverRunner

    runner = DiscoverRunner(verbosity=0)
    old_config = runner.setup_databases()
    try:
        return run(args.repeat, args.in_a_row)
    finally:
        runner.teardown_databases(old_config)


def run(repeat: int, in_a_row: int) -> int:
    from reports import pdf
    from reports.models import Document
    from reports.services import document as services
    from reports.services.document import document_render
    from tests.factories import make_mission

    settings.MEDIA_ROOT = Path(os.environ["ICSM_VAR_DIR"]) / "private"
    # The rendering child reports its own peak; keep it (the rest is the worker's path).
    child_peaks: list[float] = []

    def render_pdf(html: str) -> tuple[bytes, int]:
        rendering = pdf.render(html)
        child_peaks.append(rendering.peak_mb)
        return rendering.pdf, rendering.pages

    services.render_pdf = render_pdf

    def document_of(size: int) -> Document:
        """A final report of `size` findings and action points, rendered once."""
        mission = make_mission("PAK", status="reporting", title=f"Bench, {size} findings")
        seed(mission, size)
        document = Document.objects.create(
            mission=mission, kind=Document.Kind.REPORT, source_version=1, source_final=True
        )
        assert document_render(document.pk), "the PDF was not rendered"
        document.refresh_from_db()
        return document

    # How many pages a finding and an action point take, from two reports: the sizes that
    # make about 10 and 40 pages follow (the sections, team and annexes are the rest).
    low, high = document_of(10), document_of(100)
    per_item = (high.pages - low.pages) / 90
    base = low.pages - 10 * per_item

    def size_for(pages: int) -> int:
        return max(1, round((pages - base) / per_item))

    def render(document: Document) -> float:
        Document.objects.filter(pk=document.pk).update(status=Document.Status.QUEUED)
        start = time.perf_counter()
        assert document_render(document.pk), "the PDF was not rendered"
        return time.perf_counter() - start

    small_size, large_size = size_for(SMALL_PAGES), size_for(LARGE_PAGES)
    small, large = document_of(small_size), document_of(large_size)

    render(small)  # warm the template loader and the file system caches
    small_median = statistics.median(render(small) for _ in range(repeat))
    large_median = statistics.median(render(large) for _ in range(repeat))
    ratio = large_median / small_median

    rss_before, peak_before = status_mb("VmRSS"), status_mb("VmHWM")
    child_peaks.clear()
    for index in range(in_a_row):
        render(small if index % 2 else large)
    rss_after, peak_after = status_mb("VmRSS"), status_mb("VmHWM")
    growth = peak_after - peak_before
    child_mb = max(child_peaks)
    # The kernel's figure for the children counts the worker's pages each child held
    # between its fork and its exec: an upper bound, shown for comparison.
    children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    checks = [
        (
            small_median <= TARGET_SMALL_SECONDS,
            f"{small.pages}-page report ({small_size} findings and action points): "
            f"{small_median:.2f} s median of {repeat} (target {TARGET_SMALL_SECONDS:.0f} s)",
        ),
        (
            ratio <= TARGET_RATIO,
            f"{large.pages}-page report ({large_size} findings and action points): "
            f"{large_median:.2f} s median of {repeat}, {ratio:.2f} × the "
            f"{small.pages}-page one (target ≤ {TARGET_RATIO:.0f} ×)",
        ),
        (
            growth <= TARGET_GROWTH_MB,
            f"worker over {in_a_row} renders in a row: peak {peak_before:.0f} → "
            f"{peak_after:.0f} MiB (+{growth:.1f}, target ≤ {TARGET_GROWTH_MB}), resident "
            f"{rss_before:.0f} → {rss_after:.0f} MiB; rendering children: peak {child_mb:.0f} "
            f"MiB each at most (getrusage of the children: {children_mb:.0f} MiB)",
        ),
    ]
    for ok, line in checks:
        print(f"{'ok  ' if ok else 'MISS'} {line}")
    return 0 if all(ok for ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
