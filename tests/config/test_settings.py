"""Production settings: pass Django's deployment checks, and refuse to start on insecure ones."""

import json
import os
import re
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings.base import INSECURE_SECRET_KEY

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


def random_secret_key(length: int = 60) -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def deploy_check(**env_overrides: str | None) -> subprocess.CompletedProcess:
    """`manage.py check --deploy` under production settings; None removes a variable."""
    env = dict(os.environ)
    env.pop("DEBUG", None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=random_secret_key(),
        ALLOWED_HOSTS="icsm.example.org",
    )
    for name, value in env_overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checks():
    result = deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "env, reason",
    [
        ({"SECRET_KEY": None}, "Set SECRET_KEY to a long random value"),
        ({"SECRET_KEY": ""}, "Set SECRET_KEY to a long random value"),
        ({"SECRET_KEY": INSECURE_SECRET_KEY}, "Set SECRET_KEY to a long random value"),
        ({"SECRET_KEY": "too-short-a-secret"}, "Set SECRET_KEY to a long random value"),
        ({"DEBUG": "true"}, "DEBUG must be off in production"),
    ],
    ids=["secret-key-unset", "secret-key-empty", "insecure-default-key", "short-key", "debug-on"],
)
def test_production_refuses_to_start_and_says_why(env, reason):
    result = deploy_check(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert reason in result.stderr


def settings_under(module: str, names: list[str], **env_overrides: str | None) -> dict:
    """The values of `names` under the settings `module`, read in a fresh process."""
    env = dict(os.environ)
    env.pop("DEBUG", None)
    env.pop("ICSM_SKIP_SECOND_FACTOR", None)
    env.update(
        DJANGO_SETTINGS_MODULE=module,
        SECRET_KEY=random_secret_key(),
        ALLOWED_HOSTS="icsm.example.org",
    )
    for name, value in env_overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {names!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_cookies_are_secure_http_only_and_same_site_and_headers_strict():
    values = settings_under(
        "config.settings.production",
        [
            "SESSION_COOKIE_SECURE",
            "SESSION_COOKIE_HTTPONLY",
            "SESSION_COOKIE_SAMESITE",
            "CSRF_COOKIE_SECURE",
            "CSRF_COOKIE_HTTPONLY",
            "CSRF_COOKIE_SAMESITE",
            "SECURE_HSTS_SECONDS",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS",
            "SECURE_REFERRER_POLICY",
            "SECURE_CROSS_ORIGIN_OPENER_POLICY",
            "SECURE_CONTENT_TYPE_NOSNIFF",
            "X_FRAME_OPTIONS",
        ],
    )
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SECURE_HSTS_SECONDS": 60 * 60 * 24 * 365,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "X_FRAME_OPTIONS": "DENY",
    }


@pytest.mark.parametrize(
    "module, env, required",
    [
        ("config.settings.base", {"DEBUG": "true", "ICSM_SKIP_SECOND_FACTOR": "1"}, False),
        ("config.settings.base", {"DEBUG": "true"}, True),
        ("config.settings.base", {"DEBUG": "false", "ICSM_SKIP_SECOND_FACTOR": "1"}, True),
        ("config.settings.test", {"DEBUG": "true", "ICSM_SKIP_SECOND_FACTOR": "1"}, True),
        ("config.settings.production", {"ICSM_SKIP_SECOND_FACTOR": "1"}, True),
    ],
    ids=["development-skips-when-asked", "development", "debug-off", "test", "production"],
)
def test_only_a_development_server_may_skip_the_second_factor(module, env, required):
    values = settings_under(module, ["ICSM_REQUIRE_SECOND_FACTOR"], **env)
    assert values["ICSM_REQUIRE_SECOND_FACTOR"] is required


def test_the_admin_serves_minified_scripts_in_production(admin_client, settings):
    """Django's admin picks its minified jQuery and select2 when DEBUG is off: the weight of
    an admin page in production."""
    settings.DEBUG = False
    page = admin_client.get("/admin/clusters/country/").content.decode()
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert any("jquery.min.js" in src for src in scripts)
    assert not any(src.endswith("/jquery.js") for src in scripts)


def test_a_forms_select_reads_its_choices_in_one_plain_query(on_postgres, db):
    """No server-side cursor for a ModelChoiceField (Django declares one for every
    QuerySet.iterator() on PostgreSQL): four round trips for a dozen choices."""
    from django import forms
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clusters.models import GlobalCluster

    class ClusterForm(forms.Form):
        cluster = forms.ModelChoiceField(queryset=GlobalCluster.objects.order_by("code"))

    with CaptureQueriesContext(connection) as queries:
        html = str(ClusterForm()["cluster"])
    assert 'value="' in html and GlobalCluster.objects.exists()
    assert len(queries) == 1 and not queries[0]["sql"].startswith("DECLARE"), (
        queries.captured_queries
    )
