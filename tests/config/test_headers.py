"""The headers of every response: a Content-Security-Policy with nothing inline and nothing from
elsewhere, the Permissions-Policy, Referrer-Policy and Cross-Origin-Opener-Policy. (Every page
of the URL matrix carries the policy: tests/test_url_matrix.py checks it in each cell. HSTS and
the cookies in production: tests/config/test_settings.py.)

No template a browser renders holds what the policy would block (style attributes, <style>
blocks, inline scripts, event handlers): the PDF templates, which WeasyPrint renders, and the
e-mails, which mail clients render, keep their inline styles."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Rendered by WeasyPrint into PDFs, or sent as e-mail: never under the site's policy.
NOT_FOR_BROWSERS = [
    "reports/report.html",
    "reports/tor.html",
    "reports/_print_style.html",
    "reports/followup_status.html",
    "reports/_progress.html",  # included by followup_status.html only
    "reports/report/",
    "missions/email/",
    "reports/email/",
    "commitments/email/",
    "registration/password_reset_email.html",
]
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def directives(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.fixture
def hcss_client(client, cast):
    client.force_login(cast["hcss"])
    return client


@pytest.mark.parametrize(
    "path",
    ["/", "/login/", "/reports/", "/admin/login/", "/static/css/site.css", "/no-such-page/"],
)
def test_every_answer_carries_the_policy_and_the_headers(client, path):
    response = client.get(path)
    policy = directives(response["Content-Security-Policy"])
    assert policy == POLICY
    assert response["Permissions-Policy"] == settings.ICSM_PERMISSIONS_POLICY
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_policy_has_nothing_inline_and_no_other_origin(client):
    header = client.get("/login/")["Content-Security-Policy"]
    assert "unsafe" not in header
    assert "http:" not in header and "https:" not in header
    assert "data:" not in header and "*" not in header


def test_the_browser_features_no_page_uses_are_off(client):
    features = dict(
        part.strip().split("=") for part in client.get("/login/")["Permissions-Policy"].split(",")
    )
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert features[feature] == "()"


@pytest.mark.parametrize(
    "path",
    [
        reverse("missions:list"),
        reverse("task_team:board"),
        "/admin/",
        "/admin/missions/mission/",
        reverse("two_factor_setup"),
    ],
)
def test_signed_in_pages_carry_the_policy_too(hcss_client, path):
    response = hcss_client.get(path)
    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"]) == POLICY


def browser_templates() -> list[Path]:
    return [
        path
        for path in sorted(TEMPLATES.rglob("*.html"))
        if not any(
            str(path.relative_to(TEMPLATES)).startswith(prefix) for prefix in NOT_FOR_BROWSERS
        )
    ]


INLINE = {
    "a style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "a <style> block": re.compile(r"<style\b", re.IGNORECASE),
    "an inline script": re.compile(r"<script\b(?![^>]*\bsrc=)", re.IGNORECASE),
    "an event handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "a javascript: link": re.compile(r"javascript:", re.IGNORECASE),
}


@pytest.mark.parametrize(
    "template", browser_templates(), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_no_template_for_browsers_holds_what_the_policy_blocks(template):
    source = template.read_text()
    found = [what for what, pattern in INLINE.items() if pattern.search(source)]
    assert not found, f"{template.relative_to(TEMPLATES)} has {', '.join(found)}"
