"""The grid API's OpenAPI document (/api/grid/openapi.json) and docs page (/api/grid/docs):
public (they describe the interface, no data), the page served from the site's own static
files under its Content-Security-Policy."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from ..models import TaskKind

pytestmark = pytest.mark.django_db


def test_it_lists_the_operations(client):
    response = client.get(reverse("grid-api:openapi-json"))
    assert response.status_code == 200
    doc = response.json()
    operations = {
        (path, method): op for path, ops in doc["paths"].items() for method, op in ops.items()
    }
    assert set(operations) == {
        ("/api/grid/me", "get"),
        ("/api/grid/tasks", "get"),
        ("/api/grid/tasks/{task_id}", "get"),
        ("/api/grid/tasks/{task_id}/result", "post"),
    }
    assert all(op["security"] == [{"DeviceBearer": []}] for op in operations.values())
    assert doc["components"]["securitySchemes"]["DeviceBearer"] == {
        "type": "http",
        "scheme": "bearer",
    }
    submit = operations[("/api/grid/tasks/{task_id}/result", "post")]
    header = next(p for p in submit["parameters"] if p["in"] == "header")
    assert header["name"] == "Idempotency-Key" and header["required"]
    assert set(submit["responses"]) >= {"200", "201", "401", "404", "409", "422"}
    # the body: one schema per task kind, from its form
    kinds = submit["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert [k["title"] for k in kinds] == list(TaskKind.values)
    cert = next(k for k in kinds if k["title"] == TaskKind.CERTIFICATION)
    assert cert["properties"]["photo"]["contentEncoding"] == "base64"
    assert cert["required"] == ["outcome"]
    insurance = next(k for k in kinds if k["title"] == TaskKind.INSURANCE)
    assert insurance["properties"]["insurance_willingness"]["enum"] == ["1", "2", "3", "4"]


def test_the_docs_page_uses_only_the_site_s_static_files(client):
    response = client.get(reverse("grid-api:openapi-view"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) == 3
    for url in assets:
        assert url.startswith("/static/vendor/swagger-ui/")
        assert finders.find(url.removeprefix("/static/")) is not None
    assert "http://" not in html and "https://" not in html
    # settings as JSON data, no inline script
    assert re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", html) == []
    assert '"url": "/api/grid/openapi.json"' in html and '"validatorUrl": null' in html


def test_it_vendors_the_assets_without_source_maps():
    for name in ("swagger-ui-bundle.js", "swagger-ui.css"):
        text = Path(finders.find(f"vendor/swagger-ui/{name}")).read_text(encoding="utf-8")
        assert "sourceMappingURL" not in text and "@import url" not in text
