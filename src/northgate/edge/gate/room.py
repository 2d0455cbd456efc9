"""What the gate answers instead of the page: the waiting room (HTML or JSON) and the
fast "try again later" for shed work.

The HTML is rendered once per language and state with ``@@SLOT@@`` markers, then filled
in per request by joining byte strings: no template render per waiter (CALIBRATION.md).

Status codes: a browser in the waiting room gets **200** (a successful answer: the page is
the service for now, and a 5xx would be shown as an error and counted as one). API clients
(``Accept: application/json`` or ``/api/``) get **503 + Retry-After** with the same fields
as JSON, because generic HTTP clients and retry middleware understand that and would
mistake a 200 for the resource. Shed work gets 503 + a jittered Retry-After in both forms.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from functools import lru_cache
from json.encoder import encode_basestring_ascii as _json_string
from urllib.parse import quote

from northgate.core import routes
from northgate.core.asgi import Scope, Send, header
from northgate.core.lang import LANGUAGES, Lang, language_of_path, other_language
from northgate.core.zone import SERVICE_TIMEZONE
from northgate.edge.errors import ErrorPages
from northgate.edge.gate.core import Admission
from northgate.ui.assets import AssetBundle
from northgate.ui.chrome import chrome_context
from northgate.ui.i18n import gettext
from northgate.ui.journey_urls import counterpart, page_to_wait_on
from northgate.ui.templating import environment

SLOTS = ("PLACE", "WAIT", "REFRESH", "KEEP", "URL", "OPENS", "OTHER")
_NO_STORE = (b"cache-control", b"no-store")


def _marker(name: str) -> str:
    return f"@@{name}@@"


class _Prepared:
    """A page split at its markers: alternating literal bytes and slot names."""

    def __init__(self, html: str) -> None:
        self.parts: list[bytes | str] = []
        rest = html
        while "@@" in rest:
            before, _, after = rest.partition("@@")
            name, _, rest = after.partition("@@")
            if name not in SLOTS:
                raise ValueError(f"unknown slot {name!r} in the waiting room template")
            self.parts += [before.encode(), name]
        self.parts.append(rest.encode())

    def fill(self, values: Mapping[str, str]) -> bytes:
        return b"".join(
            part if isinstance(part, bytes) else _escape(values[part]).encode()
            for part in self.parts
        )


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def render_pages(assets: AssetBundle) -> dict[tuple[Lang, bool], _Prepared]:
    return {key: _Prepared(html) for key, html in render_html(assets).items()}


def render_html(assets: AssetBundle) -> dict[tuple[Lang, bool], str]:
    """The waiting room per language and state, with its ``@@SLOT@@`` markers: filled here
    per request, and by the nginx edge from the copy `northgate export-static` writes."""
    pages = {}
    for lang in LANGUAGES:
        template = environment(lang).get_template("gate/waiting.html")
        for prequeue in (False, True):
            title = (
                gettext(lang, "The application opens soon")
                if prequeue
                else gettext(lang, "You are in line")
            )
            html = template.render(
                chrome_context(lang, assets)
                | {"title": title, "other_url": _marker("OTHER"), "prequeue": prequeue}
            )
            pages[(lang, prequeue)] = html
    return pages


def format_number(value: int, lang: Lang) -> str:
    text = f"{value:,}"
    return text.replace(",", "\u202f") if lang == "fr" else text


def format_wait(seconds: float | None, lang: Lang) -> str:
    if seconds is None:
        return gettext(lang, "not known yet")
    if seconds < 60:
        return gettext(lang, "less than a minute")
    minutes = math.ceil(seconds / 60)
    if minutes > 10:
        minutes = math.ceil(minutes / 5) * 5
    if minutes < 90:
        return gettext(lang, "about %(minutes)s min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    return gettext(lang, "about %(hours)s h %(minutes)s min") % {
        "hours": hours,
        "minutes": f"{minutes:02d}",
    }


def wants_json(scope: Scope) -> bool:
    if routes.is_api_path(scope["path"]):
        return True
    accept = header(scope, b"accept") or b""
    return b"application/json" in accept and b"text/html" not in accept


def request_url(scope: Scope) -> str:
    raw = scope.get("raw_path") or quote(scope["path"]).encode()
    url: str = raw.decode("latin-1")
    query = scope.get("query_string") or b""
    if query:
        url += "?" + query.decode("latin-1")
    return "".join(c for c in url if 0x20 < ord(c) < 0x7F)


@lru_cache(maxsize=512)
def _iso(second: int) -> str:
    """ISO 8601 of a whole Unix second, cached: every waiter polling in the same second is
    told the same few times (formatting a datetime cost more than the rest of the JSON)."""
    return dt.datetime.fromtimestamp(second, dt.UTC).isoformat(timespec="seconds")


def _iso_or_null(second: float) -> str:
    return f'"{_iso(int(second))}"' if second else "null"


def waiting_json(admission: Admission, now: float, retry: int, visitor_token: str) -> bytes:
    """The waiting room for API clients, built by formatting, not ``json.dumps`` of a dict:
    one of these answers goes to every arrival and every poll under overload. The fields
    are numbers, ISO dates and one string escaped by the JSON encoder's C helper."""
    wait = "null" if admission.wait is None else str(math.ceil(admission.wait))
    return (
        f'{{"status": "{"prequeue" if admission.prequeue else "waiting"}", '
        f'"place": {admission.position + 1}, "ahead": {admission.position}, '
        f'"waiting": {admission.waiting}, "estimated_wait_seconds": {wait}, '
        f'"estimated_admission_at": {_iso_or_null(admission.due)}, '
        f'"retry_after": {retry}, "next_check_at": "{_iso(int(now) + retry)}", '
        f'"opens_at": {_iso_or_null(admission.opens_at)}, '
        f'"visitor": {_json_string(visitor_token)}}}'
    ).encode()


@lru_cache(maxsize=64)
def _shed_json(retry: int) -> bytes:
    return json.dumps({"error": "busy", "retry_after": retry}).encode()


class WaitingRoom:
    def __init__(self, assets: AssetBundle, errors: ErrorPages, keep_seconds: float) -> None:
        self.pages = render_pages(assets)
        self.errors = errors
        self.keep_seconds = keep_seconds

    async def send(
        self,
        scope: Scope,
        send: Send,
        admission: Admission,
        now: float,
        cookies: list[tuple[bytes, bytes]],
        visitor_token: str,
    ) -> None:
        retry = admission.retry
        if wants_json(scope):
            await _send(
                send,
                503,
                waiting_json(admission, now, retry, visitor_token),
                b"application/json",
                [(b"retry-after", str(retry).encode()), *cookies],
            )
            return
        if scope["method"] not in ("GET", "HEAD"):
            # A form posted while the visitor must wait: the waiting room is not the answer
            # to the POST (Back would then ask to post again, or fail), but a page to go to.
            # What was already saved stays saved; the page shows it again once admitted.
            await self._see_other(send, quote(page_to_wait_on(scope["path"])), cookies)
            return
        url = request_url(scope)
        lang = language_of_path(scope["path"])
        page = self.pages[(lang, admission.prequeue)]
        opens = dt.datetime.fromtimestamp(admission.opens_at or now, SERVICE_TIMEZONE)
        html = page.fill(
            {
                "PLACE": format_number(admission.position + 1, lang),
                "WAIT": format_wait(admission.wait, lang),
                "REFRESH": str(retry),
                "KEEP": str(max(1, round(self.keep_seconds / 60))),
                "URL": url,
                "OPENS": opens.strftime("%H:%M"),
                # The toggle leads to this same waiting room in the other language.
                "OTHER": counterpart(scope["path"])
                or routes.path("page.home", other_language(lang)),
            }
        )
        extra = [(b"refresh", f"{retry}; url={url}".encode()), *cookies]
        await _send(
            send,
            200,
            b"" if scope["method"] == "HEAD" else html,
            b"text/html; charset=utf-8",
            extra,
        )

    @staticmethod
    async def _see_other(send: Send, location: str, cookies: list[tuple[bytes, bytes]]) -> None:
        headers = [(b"location", location.encode("latin-1")), *cookies]
        await _send(send, 303, b"", b"text/plain; charset=utf-8", headers)

    async def shed(self, scope: Scope, send: Send, retry: int) -> None:
        headers = [(b"retry-after", str(retry).encode()), (b"x-northgate-gate", b"shed")]
        if wants_json(scope):
            await _send(send, 503, _shed_json(retry), b"application/json", headers)
            return
        await self.errors.send(scope, send, 503, extra_headers=headers)


async def _send(
    send: Send, status: int, body: bytes, content_type: bytes, extra: list[tuple[bytes, bytes]]
) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        _NO_STORE,
        (b"x-robots-tag", b"noindex"),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
