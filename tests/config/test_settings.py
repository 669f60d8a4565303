"""Production settings: pass Django's deployment checks, and refuse to start on insecure ones."""

import os
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
