"""Response headers of production mode (HSTS, CSP, nosniff, frame and referrer policies),
and templates the Content-Security-Policy does not break: no inline script anywhere."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

import minsheng

PACKAGE = Path(minsheng.__file__).resolve().parent
TEMPLATES = sorted(
    p for p in PACKAGE.rglob("*.html") if "templates" in p.parts and "vendor" not in p.parts
)

SECURITY_SETTINGS = [
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
    "CONTENT_SECURITY_POLICY",
    "MIDDLEWARE",
]


def settings_in_mode(tmp_path, **env) -> dict:
    """The security settings as a fresh process computes them from `env` alone."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MINSHENG_")}
    clean.update(MINSHENG_VAR_DIR=str(tmp_path), MINSHENG_STATIC_ROOT=str(tmp_path / "static"))
    clean.update(env)
    code = (
        "import json, minsheng.settings as s; "
        f"print(json.dumps({{k: getattr(s, k) for k in {SECURITY_SETTINGS!r}}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


@pytest.fixture
def production(tmp_path, settings):
    """The running settings switched to what production mode computes."""
    values = settings_in_mode(tmp_path)
    for name, value in values.items():
        setattr(settings, name, value)
    return values


def test_it_turns_on_hsts_only_in_production_mode(tmp_path):
    production = settings_in_mode(tmp_path)
    assert production["SECURE_HSTS_SECONDS"] == 31536000
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    debug = settings_in_mode(tmp_path, MINSHENG_DEBUG="1")
    assert debug["SECURE_HSTS_SECONDS"] == 0


def test_it_adds_the_content_security_policy_in_every_mode(tmp_path):
    for env in ({}, {"MINSHENG_DEBUG": "1"}):
        values = settings_in_mode(tmp_path, **env)
        assert "minsheng.security.ContentSecurityPolicyMiddleware" in values["MIDDLEWARE"]
        assert values["X_FRAME_OPTIONS"] == "DENY"
        assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True


@pytest.mark.django_db
def test_it_sends_the_security_headers_in_production_mode(client, production):
    response = client.get(reverse("accounts:login"), secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    policy = dict(
        (d.split()[0], d.split()[1:]) for d in response["Content-Security-Policy"].split("; ")
    )
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
def test_it_sends_the_policy_on_the_pages_of_a_logged_in_user(cast, login, production):
    client = login(cast["clerk"])
    response = client.get(reverse("geo:area_detail", args=["150302001001"]), secure=True)
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "max-age=31536000" in response["Strict-Transport-Security"]


SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)
HTMX_EVAL = re.compile(r"""\s(?:hx|data-hx)-(?:on\b|on:|on-|vars\s*=)""", re.IGNORECASE)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_it_keeps_every_script_in_a_static_file(path):
    """The policy runs scripts from this site's files only: an inline <script> block,
    an on…= attribute, a javascript: URL or an hx-on/hx-vars attribute would be blocked."""
    text = path.read_text(encoding="utf-8")
    for attributes in SCRIPT_TAG.findall(text):
        data_block = re.search(r"""type\s*=\s*["']application/(?:ld\+)?json["']""", attributes)
        assert "src=" in attributes or data_block, f"inline <script{attributes}> in {path}"
    assert not EVENT_HANDLER.search(text), f"inline event handler in {path}"
    assert not JS_URL.search(text), f"javascript: URL in {path}"
    assert not HTMX_EVAL.search(text), f"hx-on/hx-vars (evaluated script) in {path}"


def test_it_finds_templates_to_scan():
    assert any(p.name == "base.html" for p in TEMPLATES) and len(TEMPLATES) > 20


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_it_loads_scripts_that_exist(path):
    for src in re.findall(
        r"""<script[^>]*\bsrc=["']\{% static ['"]([^'"]+)['"] %\}""", path.read_text()
    ):
        assert finders.find(src), f"{path} loads missing static file {src}"


@pytest.mark.django_db
def test_it_switches_the_language_without_an_inline_handler(client):
    body = client.get(reverse("accounts:login")).content.decode()
    assert "data-autosubmit" in body and "onchange" not in body
    assert "js/minsheng.js" in body
    assert finders.find("js/minsheng.js")
