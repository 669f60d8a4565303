"""Load: 50 users at once through the main journeys for 60 s, against gunicorn on PostgreSQL.

Not a test: the numbers depend on the machine. It makes a fresh database on DATABASE_URL's
server (`--database`, dropped afterwards), migrates it and loads the demo, adds users of each
role (RC/HC, mission leader, action point owner, Task Team member, who has a second factor
when django-otp is installed), starts gunicorn on a free port of 127.0.0.1 under the
production settings, and holds `--users` virtual users for `--seconds`. Each one has its own
session (cookies, the CSRF token of the login form, the TOTP code of its own device if the
site asks for one) and goes round its role's pages: home, the missions list, a mission, the
Task Team's board, the follow-up tracker, my action points, the public reports, their feed
and one report. It prints requests, errors and p50/p95 per page; the exit code is 1 on any
error.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/icsm .venv/bin/python bench/load.py \\
        [--users 50] [--seconds 60] [--think 1.0] [--workers 2] [--keep]

Only the standard library drives the requests (threads and http.client); the seeding runs
in a child process with Django (`load.py seed`).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import suppress
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
ROLES = ("rc_hc", "leader", "owner", "task_team")
# Each role's round of pages (names as the report prints them).
JOURNEYS = {
    "rc_hc": ("home", "missions", "mission", "tracker", "reports", "feed", "report"),
    "leader": ("home", "missions", "mission", "tracker", "my points", "reports", "report"),
    "owner": ("home", "my points", "tracker", "reports", "feed", "report"),
    "task_team": ("home", "board", "missions", "mission", "tracker", "reports", "report"),
}
OTP_NAMES = ("otp_token", "token", "otp", "code")


# Seeding (in a child process, with Django) ------------------------------------------------------


def seed(users: int) -> list[dict]:
    """Add `users` accounts round the roles, one for each virtual user (a second factor's
    code works once per device, so two sessions must not share one); return what each one
    needs: name, password, role, TOTP device (or None) and its round of pages."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from clusters.models import Country, Role
    from clusters.services import role_grant
    from missions.models import ActionPoint, Mission
    from missions.models.followup import LIVE_POINT_STATES
    from missions.selectors.missions import missions_visible_to
    from missions.services.followup import FOLLOWED_STATES
    from missions.services.permissions import mission_leader_appoint
    from reports.selectors.publication import published

    countries = list(
        Country.objects.filter(missions__isnull=False).distinct().order_by("code")
    ) or list(Country.objects.filter(code="PAK"))
    followed = list(Mission.objects.filter(status__in=FOLLOWED_STATES).order_by("pk"))
    points = list(ActionPoint.objects.filter(status__in=LIVE_POINT_STATES).order_by("pk"))
    report = published().first()
    with_otp = "django_otp.plugins.otp_totp" in settings.INSTALLED_APPS
    password = secrets.token_urlsafe(18)
    made = []
    for index in range(users):
        role = ROLES[index % len(ROLES)]
        nth = index // len(ROLES)
        user = get_user_model().objects.create_user(
            f"load-{role.replace('_', '-')}-{nth + 1}",
            f"load-{index + 1}@example.org",
            password,
            first_name="Load",
            last_name=f"User {index + 1}",
        )
        device = None
        if role == "rc_hc":
            role_grant(user, Role.RC_HC, country=countries[nth % len(countries)])
        elif role == "leader" and followed:
            mission_leader_appoint(followed[nth % len(followed)], user)
        elif role == "owner" and points:
            owned = points[nth :: max(1, users // len(ROLES))]
            ActionPoint.objects.filter(pk__in=[p.pk for p in owned]).update(owner=user)
        elif role == "task_team":
            role_grant(user, Role.TASK_TEAM)
            if with_otp:
                device = _totp_device(user)
        mission = missions_visible_to(user).order_by("-pk").first()
        pages = {
            "home": reverse("home"),
            "missions": reverse("missions:list"),
            "mission": reverse("missions:detail", args=[mission.pk]) if mission else None,
            "board": reverse("task_team:board"),
            "tracker": reverse("missions:tracker"),
            "my points": reverse("missions:my_points"),
            "reports": reverse("public:list"),
            "feed": reverse("public:feed"),
            "report": reverse("public:detail", args=[report.pk]) if report else None,
        }
        journey = [name for name in JOURNEYS[role] if pages[name]]
        made.append(
            {
                "username": user.username,
                "password": password,
                "role": role,
                "totp": device,
                "pages": [(name, pages[name]) for name in journey],
            }
        )
    return made


def _totp_device(user) -> dict:
    """A confirmed TOTP device for `user`, as its holder would have set it up."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="Load test", confirmed=True)
    return {"key": device.key, "step": device.step, "t0": device.t0, "digits": device.digits}


def totp(device: dict, at: float | None = None) -> str:
    """The device's current code (RFC 6238, HMAC-SHA1, as django-otp's TOTPDevice)."""
    counter = int(((at or time.time()) - device["t0"]) // device["step"])
    digest = hmac.new(bytes.fromhex(device["key"]), struct.pack(">Q", counter), hashlib.sha1)
    raw = digest.digest()
    offset = raw[-1] & 0x0F
    number = struct.unpack(">I", raw[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10 ** device["digits"]).zfill(device["digits"])


# The site: database, server ---------------------------------------------------------------------


@dataclass
class Site:
    database_url: str
    database: str
    settings: str
    workers: int
    directory: Path
    port: int = 0
    server: subprocess.Popen | None = None
    env: dict = field(default_factory=dict)

    def prepare(self) -> None:
        """A fresh database with the demo; the collected static files."""
        import psycopg
        from psycopg import sql

        parts = urlsplit(self.database_url)
        server_url = parts._replace(path="/postgres").geturl()
        with psycopg.connect(server_url, autocommit=True) as admin:
            name = sql.Identifier(self.database)
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
        self.env = {
            **os.environ,
            "DATABASE_URL": parts._replace(path=f"/{self.database}").geturl(),
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "ICSM_VAR_DIR": str(self.directory / "var"),
            "STATIC_ROOT": str(self.directory / "static"),
            "SECRET_KEY": secrets.token_urlsafe(60),
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
        }
        manage = [sys.executable, "manage.py"]
        self._run([*manage, "migrate", "--no-input", "-v", "0"])
        self._run([*manage, "load_demo"])
        self._run([*manage, "collectstatic", "--no-input", "-v", "0"], settings=self.settings)

    def seed(self, users: int) -> list[dict]:
        output = self._run([sys.executable, __file__, "seed", "--users", str(users)])
        return json.loads(output)

    def _run(self, command: list[str], settings: str | None = None) -> str:
        env = {**self.env, "DJANGO_SETTINGS_MODULE": settings or self.env["DJANGO_SETTINGS_MODULE"]}
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"{' '.join(command[1:3])} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def start(self) -> None:
        self.port = free_port()
        with (self.directory / "gunicorn.log").open("wb") as log:
            self.server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
                + ["--workers", str(self.workers), "--bind", f"127.0.0.1:{self.port}"]
                + ["--timeout", "60", "--graceful-timeout", "5", "--log-level", "warning"],
                cwd=ROOT,
                env={**self.env, "DJANGO_SETTINGS_MODULE": self.settings},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise SystemExit(f"gunicorn stopped:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"gunicorn did not listen on port {self.port}:\n{self.log()}")

    def warm(self) -> None:
        """A few pages first, so that each worker has loaded the project before the clock
        starts (a cold worker's first page takes a second)."""
        for _ in range(4 * self.workers):
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            connection.request("GET", "/login/", headers={"X-Forwarded-Proto": "https"})
            connection.getresponse().read()
            connection.close()

    def log(self) -> str:
        path = self.directory / "gunicorn.log"
        return path.read_text(errors="replace")[-5000:] if path.exists() else ""

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()

    def drop(self) -> None:
        import psycopg
        from psycopg import sql

        server_url = urlsplit(self.database_url)._replace(path="/postgres").geturl()
        with psycopg.connect(server_url, autocommit=True) as admin:
            name = sql.Identifier(self.database)
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# A virtual user ---------------------------------------------------------------------------------


def local(url: str) -> str:
    """The path and query of a URL of the site (a redirect may name the host)."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class Forms(HTMLParser):
    """The forms of a page: action and fields (inputs, and selects with their selected or
    first option)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._select: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append({"action": attrs.get("action", ""), "fields": []})
        elif not self.forms:
            return
        elif tag == "input" and attrs.get("name"):
            self.forms[-1]["fields"].append((attrs["name"], attrs.get("type", "text"), attrs))
        elif tag == "select" and attrs.get("name"):
            self._select = {"name": attrs["name"], "value": None}
            self.forms[-1]["fields"].append((attrs["name"], "select", self._select))
        elif (
            tag == "option"
            and self._select is not None
            and (self._select["value"] is None or "selected" in attrs)
        ):
            self._select["value"] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


class Failure(Exception):
    pass


class VirtualUser:
    """One person at a browser: their own cookies and CSRF token, one request at a time."""

    def __init__(self, account: dict, port: int, timeout: float, stats: Stats):
        self.account, self.port, self.timeout, self.stats = account, port, timeout, stats
        self.cookies: dict[str, str] = {}
        self.origin = f"https://127.0.0.1:{port}"

    def request(self, page: str, method: str, path: str, form=None, expect=(200,)):
        """One request, timed under `page`; an answer other than `expect` (a form's: a
        redirect) is an error. Returns (status, location, body)."""
        headers = {
            # As behind the TLS proxy the production settings expect (SECURE_PROXY_SSL_HEADER).
            "X-Forwarded-Proto": "https",
            "User-Agent": "icsm-load/1",
            "Accept": "text/html,application/xhtml+xml,application/atom+xml",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + path
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        start = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.stats.record(page, time.perf_counter() - start, f"{type(error).__name__}")
            raise Failure(f"{page}: {error}") from None
        finally:
            connection.close()
        elapsed = time.perf_counter() - start
        for header in response.headers.get_all("Set-Cookie") or ():
            self._keep(header)
        location = response.getheader("Location")
        if form is not None:
            expect = (302, 303)
        error = None if response.status in expect else f"HTTP {response.status}"
        self.stats.record(page, elapsed, error)
        if error:
            raise Failure(f"{page} {path}: {error}")
        return response.status, location, data.decode("utf-8", errors="replace")

    def _keep(self, header: str) -> None:
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            if morsel.value == "" or morsel["max-age"] == "0":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def follow(self, location: str | None, hops: int = 5) -> tuple[str, str]:
        """GET the redirects from a login form's answer (to the second factor, to the home
        page); returns the final path and its page."""
        path = local(location or "/")
        for _ in range(hops):
            status, location, body = self.request(
                "login (landing)", "GET", path, expect=(200, 302, 303)
            )
            if status == 200 or not location:
                return path, body
            path = local(urljoin(path, location))
        raise Failure("login: too many redirects")

    def log_in(self) -> None:
        _, _, body = self.request("login (form)", "GET", "/login/")
        form = self._form(body, "password", "/login/")
        _, location, _ = self.request("login (POST)", "POST", form["action"], form["data"])
        path, body = self.follow(location)
        form = self._form(body, "otp", path, required=False)
        if form is not None:
            _, location, _ = self.request("second factor", "POST", form["action"], form["data"])
            path, body = self.follow(location)
        if urlsplit(path).path.startswith("/login") or self._form(
            body, "password", path, required=False
        ):
            raise Failure("login: still asked for a password")

    def _form(self, body: str, kind: str, path: str, required: bool = True) -> dict | None:
        """The form of the page at `path` with a password field (`kind` "password") or a
        one-time code field ("otp"), filled in for this account."""
        parser = Forms()
        parser.feed(body)
        for form in parser.forms:
            types = {kind_ for _, kind_, _ in form["fields"]}
            names = {name for name, _, _ in form["fields"]}
            if kind == "password" and "password" in types:
                return self._fill(form, path, otp="otp_token" in names)
            if kind == "otp" and "password" not in types and names & set(OTP_NAMES):
                return self._fill(form, path, otp=True)
        if required:
            raise Failure(f"no {kind} form on the page")
        return None

    def _fill(self, form: dict, path: str, otp: bool) -> dict:
        data = {}
        for name, kind, attrs in form["fields"]:
            if kind == "password":
                data[name] = self.account["password"]
            elif otp and name in OTP_NAMES:
                if not self.account["totp"]:
                    raise Failure("the site asks for a second factor this user has not")
                data[name] = totp(self.account["totp"])
            elif kind == "select":
                data[name] = attrs["value"] or ""
            elif kind in ("text", "email") and name in ("username", "auth-username", "email"):
                data[name] = self.account["username"]
            elif kind in ("hidden", "text", "email") and name not in data:
                data[name] = attrs.get("value", "")
        # No action: the form posts to its own page.
        return {"action": local(urljoin(path, form["action"])), "data": data}

    def run(self, until: float, think: float) -> None:
        try:
            self.log_in()
        except Failure:
            return  # recorded; a user who cannot log in goes no further
        pages = self.account["pages"]
        step = random.randrange(len(pages))
        while time.monotonic() < until:
            name, path = pages[step % len(pages)]
            step += 1
            with suppress(Failure):  # recorded; the user goes on to the next page
                self.request(name, "GET", path)
            if think:
                time.sleep(random.uniform(0.5, 1.5) * think)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)

    def record(self, page: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.times[page].append(seconds)
            if error:
                self.errors[page].append(error)

    def report(self, seconds: float) -> int:
        total = sum(len(times) for times in self.times.values())
        errors = sum(len(found) for found in self.errors.values())
        columns = ("requests", "errors", "p50 ms", "p95 ms", "max ms")
        print(f"\n{'page':<16} " + " ".join(f"{name:>9}" for name in columns))
        for page in sorted(self.times, key=lambda name: -len(self.times[name])):
            times = sorted(self.times[page])
            p50 = statistics.median(times) * 1000
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))] * 1000
            print(
                f"{page:<16} {len(times):>9} {len(self.errors[page]):>9} "
                f"{p50:>9.0f} {p95:>9.0f} {times[-1] * 1000:>9.0f}"
            )
        print(f"{'all':<16} {total:>9} {errors:>9}   ({total / seconds:.1f} requests a second)")
        for page, found in self.errors.items():
            if not found:
                continue
            kinds = ", ".join(f"{kind} ×{found.count(kind)}" for kind in sorted(set(found)))
            print(f"  errors on {page}: {kinds}")
        return errors


# The run ------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="run", choices=["run", "seed"])
    parser.add_argument("--users", type=int, default=50, help="virtual users at once")
    parser.add_argument("--seconds", type=float, default=60, help="how long they are held")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between pages, s")
    parser.add_argument("--ramp", type=float, default=10, help="seconds to start every user")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn's worker processes")
    parser.add_argument("--timeout", type=float, default=30, help="seconds a request may take")
    parser.add_argument("--database", default="icsm_load", help="made and dropped on the server")
    parser.add_argument("--settings", default="config.settings.production")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    if args.mode == "seed":
        sys.path.insert(0, str(ROOT))
        print(json.dumps(seed(args.users)))
        return 0

    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        print(
            "The load runs on PostgreSQL only (SQLite takes one writer at a time, so it would "
            "measure its lock): set DATABASE_URL=postgres://user@host:port/name; the run makes "
            f"and drops its own database ({args.database}) on that server.",
            file=sys.stderr,
        )
        return 2
    site = Site(database_url, args.database, args.settings, args.workers, Path(tempfile.mkdtemp()))
    try:
        started = time.monotonic()
        site.prepare()
        accounts = site.seed(args.users)
        site.start()
        site.warm()
        print(
            f"Seeded and started in {time.monotonic() - started:.0f} s: gunicorn "
            f"({args.workers} workers, {args.settings}) on 127.0.0.1:{site.port}, database "
            f"{args.database}; {args.users} users ({', '.join(ROLES)}) for {args.seconds:g} s, "
            f"{args.think:g} s between pages on average."
        )
        stats = Stats()
        until = time.monotonic() + args.ramp + args.seconds
        threads = []
        for index, account in enumerate(accounts):
            user = VirtualUser(account, site.port, args.timeout, stats)
            delay = args.ramp * index / max(1, len(accounts))
            thread = threading.Thread(target=_later, args=(delay, user.run, until, args.think))
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join()
        errors = stats.report(args.ramp + args.seconds)
        if errors:
            print(f"\n{errors} errors. The server's log:\n{site.log()}")
        return 1 if errors else 0
    finally:
        site.stop()
        if not args.keep:
            site.drop()
        shutil.rmtree(site.directory, ignore_errors=True)


def _later(delay: float, run, until: float, think: float) -> None:
    time.sleep(delay)
    run(until, think)


if __name__ == "__main__":
    sys.exit(main())
