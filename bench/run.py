"""Speed and memory targets, measured on a throw-away database: `make bench`.

Not a test: numbers depend on the machine. Each line says what was measured, the result and
the target; the exit code is 1 when a target is missed, so a run can gate a release.

    .venv/bin/python bench/run.py [--missions 500]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("ICSM_VAR_DIR", tempfile.mkdtemp(prefix="icsm-bench-"))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core import signals  # noqa: E402
from django.db import close_old_connections, connection, reset_queries  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
)

# (what, target in milliseconds at the median, target in MiB of peak Python memory)
TARGETS = {
    "/missions/ (HCSS, 50 a page)": (150, 20),
    "/task-team/ (every forwarded request)": (250, 30),
    "/missions/<pk>/planning/ (30 participants)": (200, 20),
    "ToR PDF (WeasyPrint)": (3000, 120),
}


def measure(label: str, action, repeat: int = 7) -> tuple[float, float, int]:
    """The median time of `action` (timed alone: tracing memory slows Python 4 to 5 times),
    its queries (on a fresh log: a full one would count nothing) and, in a pass of its own,
    the Python heap's peak while it runs."""
    action()  # warm caches and imports
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        action()
    query_count = len(queries)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    tracemalloc.start()
    action()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), peak / 2**20, query_count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--missions", type=int, default=500)
    parser.add_argument(
        "--followup-only", action="store_true", help="only the follow-up's sweep and tracker"
    )
    parser.add_argument(
        "--points",
        type=int,
        default=10_000,
        help="action points for the reminder sweep (the target is set at 100,000)",
    )
    args = parser.parse_args()

    setup_test_environment()
    # Keep one connection across requests, as the test client does in tests, so that the
    # queries of a page can be counted.
    signals.request_started.disconnect(close_old_connections)
    signals.request_started.disconnect(reset_queries)
    signals.request_finished.disconnect(close_old_connections)
    from django.test.runner import DiscoverRunner

    runner = DiscoverRunner(verbosity=0)
    old_config = runner.setup_databases()
    try:
        missed = 0 if args.followup_only else run(args.missions)
        return max(missed, followup(args.points))
    finally:
        runner.teardown_databases(old_config)


def run(count: int) -> int:
    from django.test import Client

    from clusters.models import Country
    from clusters.services import role_grant
    from missions.models import Mission
    from reports.services.document import document_render
    from tests.factories import (
        UserFactory,
        make_member,
        make_mission,
        make_ready_to_confirm,
    )

    settings.MEDIA_ROOT = Path(os.environ["ICSM_VAR_DIR"]) / "private"
    codes = list(Country.objects.values_list("code", flat=True)[:40])
    for index in range(count):
        status = "with_task_team" if index % 5 == 0 else "submitted"
        make_mission(codes[index % len(codes)], status=status, complete=index % 5 == 0)
    planned = make_mission("PAK", status="in_planning")
    make_ready_to_confirm(planned)
    for index in range(28):
        make_member(planned, f"bench-member-{index}")

    hcss, task_team, gcc = (UserFactory(username=name) for name in ("hcss", "tt", "gcc"))
    role_grant(hcss, "hcss")
    role_grant(task_team, "task_team")
    role_grant(gcc, "gcc")

    def page(user, url):
        client = Client()
        client.force_login(user)

        def get():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return get

    from missions.services.tor import tor_current
    from reports.models import Document

    document = Document.objects.create(
        mission=planned, kind="tor", source_version=tor_current(planned).number
    )

    def pdf():
        Document.objects.filter(pk=document.pk).update(status=Document.Status.QUEUED)
        assert document_render(document.pk), "the PDF was not rendered"

    checks = {
        "/missions/ (HCSS, 50 a page)": page(hcss, "/missions/"),
        "/task-team/ (every forwarded request)": page(task_team, "/task-team/"),
        "/missions/<pk>/planning/ (30 participants)": page(
            gcc, f"/missions/{planned.pk}/planning/"
        ),
        "ToR PDF (WeasyPrint)": pdf,
    }
    print(f"{Mission.objects.count()} missions on {connection.vendor}")
    missed = 0
    for label, action in checks.items():
        median_ms, peak_mib, queries = measure(label, action, repeat=3 if "PDF" in label else 7)
        time_target, memory_target = TARGETS[label]
        ok = median_ms <= time_target and peak_mib <= memory_target
        missed += not ok
        print(
            f"{'ok  ' if ok else 'MISS'} {label}: {median_ms:.0f} ms (target {time_target}), "
            f"{peak_mib:.1f} MiB peak (target {memory_target}), {queries} queries"
        )
    return 1 if missed else 0


def followup(count: int) -> int:
    """The reminder sweep over `count` action points (a tenth due in a window) and the
    tracker of a leader with 500 points."""
    import datetime

    from django.test import Client
    from django.utils import timezone

    from missions.models import ActionPoint
    from missions.services.followup import point_reference, remind_action_points
    from missions.services.permissions import mission_leader_appoint
    from tests.factories import UserFactory, make_mission

    today = timezone.localdate()
    owner = UserFactory(username="bench-owner")
    leader = UserFactory(username="bench-leader")
    per_mission = 1000
    rows = []
    for start in range(0, count, per_mission):
        mission = make_mission("PAK", status="follow_up")
        mission_leader_appoint(mission, leader)
        for number in range(1, min(per_mission, count - start) + 1):
            index = start + number
            # One in ten falls in a reminder window today; the rest are far ahead.
            days = (index % 40) - 20 if index % 10 == 0 else 60 + index % 300
            rows.append(
                ActionPoint(
                    mission=mission,
                    number=number,
                    reference=f"{point_reference(mission, 1)[:-3]}-{index}",
                    text=f"Bench point {index}",
                    addressee_kind="role",
                    addressee_role="The HCT",
                    owner=owner,
                    due_on=today + datetime.timedelta(days=days),
                    indicator="An indicator",
                    verification="A means",
                    status="open",
                )
            )
    ActionPoint.objects.bulk_create(rows, batch_size=5000)
    print(f"{ActionPoint.objects.count()} action points")
    missed = 0

    from missions.services.notices import OUTBOX

    def sweep(label, seconds_target, queries_target):
        nonlocal missed
        # The sweep writes its notices to the outbox; sending them is the workers' job (here
        # the test settings would send each one eagerly, inside the measurement).
        receivers, OUTBOX._receivers = OUTBOX._receivers, []
        connection.queries_log.clear()  # a full log would count nothing
        try:
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                sent = remind_action_points(today)
                seconds = time.perf_counter() - start
        finally:
            OUTBOX._receivers = receivers
        scaled = seconds_target * count / 100_000 if count < 100_000 else seconds_target
        ok = seconds <= max(scaled, 0.5) and len(queries) <= queries_target
        missed += not ok
        print(
            f"{'ok  ' if ok else 'MISS'} {label}: {sent} sent in {seconds:.2f} s "
            f"(target {scaled:.1f} s for {count} points), {len(queries)} queries "
            f"(target {queries_target})"
        )

    sweep("reminder sweep", 10, 40)
    sweep("second reminder sweep (sends nothing)", 0.5, 3)

    # A leader of one mission with 500 points, among all the others.
    own_leader = UserFactory(username="bench-leader-500")
    mission = make_mission("NPL", status="follow_up")
    mission_leader_appoint(mission, own_leader)
    ActionPoint.objects.bulk_create(
        ActionPoint(
            mission=mission,
            number=number,
            reference=f"NPL-BENCH-{number}",
            text=f"Bench point {number}",
            addressee_kind="role",
            addressee_role="The HCT",
            owner=owner,
            due_on=today + datetime.timedelta(days=number % 90 - 30),
            indicator="An indicator",
            verification="A means",
            status="open" if number % 3 else "in_progress",
        )
        for number in range(1, 501)
    )
    client = Client()
    client.force_login(own_leader)

    def tracker():
        response = client.get("/missions/follow-up/")
        assert response.status_code == 200, response.status_code

    median_ms, _, queries = measure("tracker", tracker)
    ok = median_ms <= 100
    missed += not ok
    print(f"{'ok  ' if ok else 'MISS'} tracker, 500 points: {median_ms:.0f} ms (target 100)")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
