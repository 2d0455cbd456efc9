"""The API documentation page (Swagger UI), with a Content-Security-Policy of its own.

Swagger UI comes from a CDN and starts from one inline script. Rather than allowing every
inline script, the policy names that script by its hash, computed from the page itself
(it is the same bytes for every request).
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from northgate.core.routes import path

DOCS_PATH = path("api.docs")
CDN = "https://cdn.jsdelivr.net"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def _script_hashes(body: bytes) -> str:
    return " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(body)
    )


def docs_policy(body: bytes) -> str:
    return (
        f"default-src 'self'; script-src 'self' {CDN} {_script_hashes(body)}; "
        f"style-src 'self' {CDN}; img-src 'self' data: https://fastapi.tiangolo.com; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def add_docs(app: FastAPI) -> None:
    """Serve the docs at ``DOCS_PATH``; create the app with ``docs_url=None``."""
    assert app.openapi_url is not None
    page = get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} - Swagger UI")
    body = bytes(page.body)
    headers = {"content-security-policy": docs_policy(body)}

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(body, headers=headers)
