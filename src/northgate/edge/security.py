"""Security headers on every answer: what a browser may load, frame, sniff and send on.

The pages load only their own stylesheet, script, fonts and images, and have no inline
script or style, so the policy is ``'self'`` throughout. ``frame-ancestors 'none'`` (and
``X-Frame-Options`` for older browsers) stops the submit and pay pages from being framed
by another site to trick a click. HSTS only when the site is served over TLS
(``NORTHGATE_BEHIND_TLS``): sent over plain HTTP it would lock out a site without a
certificate.

The header bytes are built once. Pre-rendered pages, error pages and redirects carry them in
their prepared messages (:mod:`northgate.site.server`); :class:`SecurityHeaders` adds them
to what the application renders per request. A response that brings its own
``Content-Security-Policy`` (the API documentation, which loads Swagger UI) keeps it.
"""

from __future__ import annotations

from typing import Final

from northgate.core.asgi import ASGIApp, Message, Receive, Scope, Send

Headers = tuple[tuple[bytes, bytes], ...]

# form-action also governs the redirect after a form is sent: a payment gateway on another
# origin (the sandbox is on ours) must be added here when one is configured.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HSTS: Final = "max-age=31536000"
_CSP_NAME: Final = b"content-security-policy"


def security_headers(*, tls: bool) -> Headers:
    headers = [
        (_CSP_NAME, CONTENT_SECURITY_POLICY.encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
    ]
    if tls:
        headers.append((b"strict-transport-security", HSTS.encode()))
    return tuple(headers)


class SecurityHeaders:
    """Adds the headers to every HTTP response of the application it wraps."""

    def __init__(self, app: ASGIApp, headers: Headers) -> None:
        self.app = app
        self.headers = headers
        self.without_csp = tuple(h for h in headers if h[0] != _CSP_NAME)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = list(message.get("headers", ()))
                has_csp = any(name.lower() == _CSP_NAME for name, _ in own)
                message["headers"] = own + list(self.without_csp if has_csp else self.headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)
