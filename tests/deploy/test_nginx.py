"""deploy/nginx/northgate.conf in a real nginx, in front of a real `northgate serve`.

The example configuration is copied as it is, with only its root path, listen port and
upstream servers (the file it includes) replaced, and run against a real
`northgate export-static` directory.
A missing nginx fails the run with instructions; it never turns into a skipped test.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from northgate.analytics.capture.dimensions import ArrivalKey
from northgate.analytics.store.sql_store import SqlStore
from northgate.edge.security import CONTENT_SECURITY_POLICY, HSTS
from northgate.scaling import upstream
from northgate.site.export import file_path_for
from northgate.storage.db import Database
from northgate.ui.i18n import negotiate_language
from tests.support.live import northgate_env
from tests.support.servers import free_port, stop, wait_for_port

if TYPE_CHECKING:
    from tests.support.live import LiveServer

pytestmark = pytest.mark.nginx

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "deploy" / "nginx" / "northgate.conf"

# The literal values of the example that a deployment (and this test) replaces.
EXAMPLE_ROOT = "root /srv/northgate/static;"
EXAMPLE_LISTEN = "listen 80;"
# The upstream's servers: a file `northgate scale` writes (northgate.scaling.upstream).
EXAMPLE_UPSTREAM = "include /etc/northgate/upstream.conf;"
# Where the edge's counters go (deploy/nginx/lua/northgate/counts.lua).
EXAMPLE_EDGE_LOG = (
    'init_worker_by_lua_block { require("northgate.edge").init_worker('
    '"/run/northgate/edge-log.sock") }'
)

EXAMPLE_REQUEST_LOG = (
    "access_log /var/log/nginx/northgate-requests.log northgate_requests buffer=64k flush=1s;",
    "northgate-requests.log",
)
EXAMPLE_ERROR_LOG = ("error_log /var/log/nginx/northgate-error.log warn;", "northgate-error.log")
# The edge's Lua: the checkout's modules, and the keys file with the export directory.
EXAMPLE_LUA_PATH = 'lua_package_path "/srv/northgate/deploy/nginx/lua/?.lua;;";'
EXAMPLE_LUA_INIT = (
    'init_by_lua_block { require("northgate.edge").init("/etc/northgate/edge-keys.json",'
    ' "/srv/northgate/static") }'
)
LUA_DIR = REPO / "deploy" / "nginx" / "lua"
# The stock nginx.conf loads them from /etc/nginx/modules-enabled/ (Debian's packages).
LUA_MODULES = ("ndk_http_module.so", "ngx_http_lua_module.so")

PAGE_CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=60, stale-if-error=86400"
ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"
TIMEOUT = httpx.Timeout(5.0)
IDENTITY = {"accept-encoding": "identity"}


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if found is None:
        pytest.fail("nginx not found: run `apt-get install -y nginx-light`", pytrace=False)
    return found


def mime_types(binary: str) -> Path:
    """The mime.types next to the nginx.conf this nginx was built to read."""
    version = subprocess.run([binary, "-V"], capture_output=True, text=True, check=True, timeout=10)
    match = re.search(r"--conf-path=(\S+)", version.stderr)
    candidates = [Path(match.group(1)).parent / "mime.types"] if match else []
    candidates.append(Path("/etc/nginx/mime.types"))
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    pytest.fail(f"no mime.types found in {candidates}: reinstall nginx", pytrace=False)


def configure(
    example: str,
    *,
    root: Path,
    port: int,
    upstreams: Sequence[int],
    edge_log: Path,
    logs: Path,
    keys: Path,
) -> str:
    """The example with its deployment-specific lines replaced, each found exactly once;
    the upstream's servers in ``logs``/upstream.conf, as `northgate scale` writes them."""
    upstream_file = logs / "upstream.conf"
    # A test that wants one node lists it twice, as before: nginx then retries a failed
    # connection on it (proxy_next_upstream), where a one-server upstream would not.
    servers = list(upstreams) * 2 if len(upstreams) == 1 else list(upstreams)
    upstream.write(upstream_file, "127.0.0.1", servers)
    replacements = [
        (EXAMPLE_ROOT, f"root {root};"),
        (EXAMPLE_LISTEN, f"listen 127.0.0.1:{port};"),
        (EXAMPLE_UPSTREAM, f"include {upstream_file};"),
        (EXAMPLE_EDGE_LOG, EXAMPLE_EDGE_LOG.replace("/run/northgate/edge-log.sock", str(edge_log))),
        *(
            (line, line.replace(f"/var/log/nginx/{name}", str(logs / name)))
            for line, name in (EXAMPLE_REQUEST_LOG, EXAMPLE_ERROR_LOG)
        ),
        (
            EXAMPLE_LUA_PATH,
            EXAMPLE_LUA_PATH.replace("/srv/northgate/deploy/nginx/lua", str(LUA_DIR)),
        ),
        (
            EXAMPLE_LUA_INIT,
            EXAMPLE_LUA_INIT.replace("/etc/northgate/edge-keys.json", str(keys)).replace(
                "/srv/northgate/static", str(root)
            ),
        ),
    ]
    lines = example.splitlines(keepends=True)
    for literal, value in replacements:
        found = [i for i, line in enumerate(lines) if line.strip() == literal]
        assert len(found) == 1, f"{EXAMPLE} must have exactly one line {literal!r}"
        lines[found[0]] = lines[found[0]].replace(literal, value)
    return "".join(lines)


@dataclass(frozen=True)
class Nginx:
    url: str
    base: Path

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=TIMEOUT, follow_redirects=False)


def lua_modules(binary: str) -> str:
    """The load_module lines of Debian's Lua module (and the NDK it needs)."""
    version = subprocess.run([binary, "-V"], capture_output=True, text=True, check=True, timeout=10)
    match = re.search(r"--modules-path=(\S+)", version.stderr)
    directory = Path(match.group(1) if match else "/usr/lib/nginx/modules")
    missing = [name for name in LUA_MODULES if not (directory / name).is_file()]
    if missing:
        pytest.fail(
            f"{missing} not in {directory}: run `apt-get install libnginx-mod-http-lua"
            " lua-resty-core lua-cjson` (make test does this)",
            pytrace=False,
        )
    return "".join(f"load_module {directory / name};\n" for name in LUA_MODULES)


def edge_keys(target: Path, env: Mapping[str, str] | None = None) -> Path:
    """`northgate edge-keys` with the given settings (by default a throwaway secret and
    no Redis: the edge then checks passes and leaves the line to the nodes)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    settings = dict(env) if env is not None else northgate_env(target.parent / "keys")
    result = subprocess.run(
        [sys.executable, "-m", "northgate", "edge-keys", str(target)],
        env=settings,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return target


@contextmanager
def running_nginx(
    base: Path,
    site: Path,
    upstreams: Sequence[int],
    edge_log: Path | None = None,
    keys: Path | None = None,
    extra_http: str = "",
    workers: int = 1,
) -> Iterator[Nginx]:
    """nginx with the example configuration. Its edge log goes to ``edge_log`` (by default
    a socket nobody listens on: nginx then notes each line it could not send in its error
    log, and answers as usual). ``keys``: what `northgate edge-keys` wrote for the nodes
    behind it (by default, keys of a throwaway secret and no Redis). ``extra_http``: more
    of the http block (a test's own server); ``workers``: nginx worker processes."""
    binary = nginx_binary()
    base.mkdir(parents=True, exist_ok=True)
    keys = keys or edge_keys(base / "edge-keys.json")
    port = free_port()
    (base / "northgate.conf").write_text(
        configure(
            EXAMPLE.read_text(),
            root=site,
            port=port,
            upstreams=upstreams,
            edge_log=edge_log or base / "edge-log.sock",
            logs=base,
            keys=keys,
        )
    )
    temp_paths = "\n".join(
        f"    {kind}_temp_path {base / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root the workers would run as `nobody`, who cannot read pytest's 0700 directories.
    user = "user root;\n" if os.geteuid() == 0 else ""
    (base / "nginx.conf").write_text(
        f"{lua_modules(binary)}{user}worker_processes {workers};\n"
        f"error_log {base / 'error.log'} info;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        f"    include {mime_types(binary)};\n"
        "    default_type application/octet-stream;\n"
        f"    access_log {base / 'access.log'};\n"
        f"{temp_paths}\n"
        f"    include {base / 'northgate.conf'};\n"
        f"{extra_http}\n"
        "}\n"
    )
    args = [
        binary,
        "-p",
        str(base),
        "-e",
        str(base / "error.log"),
        "-c",
        str(base / "nginx.conf"),
        "-g",
        f"daemon off; pid {base / 'nginx.pid'};",
    ]
    check = subprocess.run([*args, "-t"], capture_output=True, text=True, check=False, timeout=30)
    if check.returncode != 0:
        pytest.fail(f"nginx rejected the configuration:\n{check.stderr}", pytrace=False)
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        try:
            wait_for_port(port, process, timeout=15)
        except (RuntimeError, TimeoutError) as error:
            log = (base / "error.log").read_text(errors="replace")
            pytest.fail(f"nginx did not start: {error}\n{log}", pytrace=False)
        yield Nginx(f"http://127.0.0.1:{port}", base)
    finally:
        stop(process)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, live_server: LiveServer) -> Path:
    """A real `northgate export-static` directory, with the nodes' public origin (as in a
    deployment, where both read it from the same settings file)."""
    target = tmp_path_factory.mktemp("export") / "static"
    env = {
        **os.environ,
        "NORTHGATE_NODE_MODULES": str(REPO / "node_modules"),
        "NORTHGATE_PUBLIC_ORIGIN": live_server.url,
    }
    result = subprocess.run(
        [sys.executable, "-m", "northgate", "export-static", str(target)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return target


@pytest.fixture(scope="module")
def manifest(site: Path) -> dict[str, dict[str, str]]:
    loaded: dict[str, dict[str, str]] = json.loads((site / "headers.json").read_text())
    return loaded


@pytest.fixture(scope="module")
def nginx(
    tmp_path_factory: pytest.TempPathFactory, site: Path, live_server: LiveServer
) -> Iterator[Nginx]:
    """nginx in front of the live application (both upstream lines point at it), with the
    edge keys of its secret."""
    base = tmp_path_factory.mktemp("nginx")
    keys = edge_keys(base / "edge-keys.json", live_server.env)
    with running_nginx(base, site, [live_server.port], keys=keys) as server:
        yield server


@pytest.fixture(scope="module")
def nginx_app_down(tmp_path_factory: pytest.TempPathFactory, site: Path) -> Iterator[Nginx]:
    """nginx whose application processes are all down (nothing listens on their ports)."""
    dead = [free_port(), free_port()]
    with running_nginx(tmp_path_factory.mktemp("nginx-down"), site, dead) as server:
        yield server


@pytest.fixture
def app() -> Iterator[httpx.Client]:
    """A client for talking to the live application directly, to compare answers."""
    with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
        yield client


def file_for(site: Path, url_path: str) -> Path:
    return site / file_path_for(url_path)


def raw_get(
    client: httpx.Client, path: str, headers: dict[str, str]
) -> tuple[httpx.Response, bytes]:
    """GET without httpx decoding the body: the bytes on the wire."""
    with client.stream("GET", path, headers=headers) as response:
        return response, b"".join(response.iter_raw())


# ---- Files: served by nginx, with the application's headers ----


def test_every_exported_file_is_served_with_the_headers_the_app_sends(
    nginx: Nginx, site: Path, manifest: dict[str, dict[str, str]]
) -> None:
    assert len(manifest) > 20
    with nginx.client() as client:
        for url_path, expected in manifest.items():
            response = client.get(url_path, headers=IDENTITY)
            assert response.status_code == 200, url_path
            assert response.content == file_for(site, url_path).read_bytes(), url_path
            for name in ("Content-Type", "Cache-Control", "Last-Modified"):
                assert response.headers[name] == expected[name], (url_path, name)
            assert "content-encoding" not in response.headers


def test_pages_have_the_page_cache_control_and_assets_are_immutable(
    nginx: Nginx, manifest: dict[str, dict[str, str]]
) -> None:
    asset = next(path for path in manifest if path.endswith(".css"))
    with nginx.client() as client:
        assert client.get("/en/eta").headers["cache-control"] == PAGE_CACHE_CONTROL
        assert client.get("/fr/").headers["cache-control"] == PAGE_CACHE_CONTROL
        assert client.get(asset).headers["cache-control"] == ASSET_CACHE_CONTROL


def test_nginx_and_the_app_send_the_same_page(
    nginx: Nginx, live_server: LiveServer, app: httpx.Client
) -> None:
    with nginx.client() as client:
        from_nginx = client.get("/en/eta", headers=IDENTITY)
    from_app = app.get(f"{live_server.url}/en/eta", headers=IDENTITY)
    assert from_nginx.content == from_app.content
    for name in ("content-type", "cache-control", "last-modified", "vary"):
        assert from_nginx.headers[name] == from_app.headers[name], name
    # nginx does not reveal its version.
    assert from_nginx.headers["server"] == "nginx"


def test_the_gzip_twin_is_served_to_clients_that_accept_gzip(nginx: Nginx, site: Path) -> None:
    page = site / "en" / "eta" / "index.html"
    with nginx.client() as client:
        response, body = raw_get(client, "/en/eta", {"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.headers["cache-control"] == PAGE_CACHE_CONTROL
    assert body == page.with_name("index.html.gz").read_bytes()
    assert gzip.decompress(body) == page.read_bytes()


def test_conditional_requests_get_304_with_the_cache_headers(nginx: Nginx) -> None:
    with nginx.client() as client:
        first = client.get("/en/eta")
        by_date = client.get(
            "/en/eta", headers={"if-modified-since": first.headers["last-modified"]}
        )
        by_tag = client.get("/en/eta", headers={"if-none-match": first.headers["etag"]})
        head = client.head("/en/eta")
    assert by_date.status_code == by_tag.status_code == 304
    assert by_date.headers["cache-control"] == PAGE_CACHE_CONTROL
    assert head.status_code == 200
    assert head.content == b""


def test_pages_are_served_from_files_when_the_app_is_down(
    nginx_app_down: Nginx, site: Path, manifest: dict[str, dict[str, str]]
) -> None:
    """The proof that nginx, not the application, serves the exported files."""
    asset = next(path for path in manifest if path.endswith(".css"))
    with nginx_app_down.client() as client:
        page = client.get("/fr/ave", headers=IDENTITY)
        css = client.get(asset, headers=IDENTITY)
        robots = client.get("/robots.txt")
    assert page.status_code == 200
    assert page.content == (site / "fr" / "ave" / "index.html").read_bytes()
    assert page.headers["cache-control"] == PAGE_CACHE_CONTROL
    assert css.status_code == 200
    assert css.headers["cache-control"] == ASSET_CACHE_CONTROL
    assert robots.status_code == 200


# ---- Addresses: canonical forms, files that are not addresses ----


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/en", "/en/"),
        ("/fr", "/fr/"),
        ("/en/eta/", "/en/eta"),
        ("/fr/ave/apres-la-demande/", "/fr/ave/apres-la-demande"),
    ],
)
def test_non_canonical_page_addresses_redirect_like_the_app(
    nginx: Nginx, live_server: LiveServer, app: httpx.Client, path: str, location: str
) -> None:
    with nginx.client() as client:
        from_nginx = client.get(path)
    from_app = app.get(f"{live_server.url}{path}")
    assert from_nginx.status_code == from_app.status_code == 301
    assert from_nginx.headers["location"] == from_app.headers["location"] == location
    assert from_nginx.headers["cache-control"] == from_app.headers["cache-control"]


def test_redirects_work_with_the_app_down(nginx_app_down: Nginx) -> None:
    with nginx_app_down.client() as client:
        assert client.get("/en").headers["location"] == "/en/"
        assert client.get("/en/eta/").headers["location"] == "/en/eta"


@pytest.mark.parametrize(
    "path",
    [
        "/en/eta/index.html",
        "/en/eta/index.html.gz",
        "/headers.json",
        "/_headers",
        "/errors/503.en.html",
        "/assets/",
        "/en/no-such-page/",
        "/en/no-such-page",
        # The waiting room's pre-rendered pages are read by the edge's Lua, not served.
        "/_edge/waiting.en.html",
        "/_edge/",
    ],
)
def test_files_that_are_not_addresses_of_the_site_are_404(
    nginx: Nginx, site: Path, path: str
) -> None:
    with nginx.client() as client:
        response = client.get(path, headers=IDENTITY)
    assert response.status_code == 404
    assert response.content == (site / "errors" / "404.en.html").read_bytes()


# ---- Proxied to the application ----


@pytest.mark.parametrize(
    ("accept_language", "location"), [("fr-CA,fr;q=0.9", "/fr/"), ("en-CA,en;q=0.8", "/en/")]
)
def test_root_redirects_by_language_like_the_app(
    nginx: Nginx, live_server: LiveServer, app: httpx.Client, accept_language: str, location: str
) -> None:
    with nginx.client() as client:
        response = client.get("/", headers={"accept-language": accept_language})
    from_app = app.get(f"{live_server.url}/", headers={"accept-language": accept_language})
    assert response.status_code == from_app.status_code == 302
    assert response.headers["location"] == from_app.headers["location"] == location
    for name in ("vary", "cache-control"):
        assert response.headers[name] == from_app.headers[name]


def test_health_is_proxied(nginx: Nginx) -> None:
    with nginx.client() as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"


def test_a_form_post_is_proxied(nginx: Nginx) -> None:
    with nginx.client() as client:
        valid = client.post("/en/feedback", data={"page": "eta", "problem": "wrong"})
        invalid = client.post("/fr/retroaction", data={"page": "eta", "problem": "nope"})
    assert valid.status_code == 200
    assert invalid.status_code == 422
    assert valid.headers["content-type"].startswith("text/html")
    assert valid.headers["cache-control"] == "no-store"


def test_a_post_to_a_page_gets_the_apps_405(
    nginx: Nginx, live_server: LiveServer, app: httpx.Client
) -> None:
    with nginx.client() as client:
        from_nginx = client.post("/en/eta", data={"a": "b"})
    from_app = app.post(f"{live_server.url}/en/eta", data={"a": "b"})
    assert from_nginx.status_code == from_app.status_code == 405
    assert from_nginx.headers["allow"] == "GET, HEAD"
    assert from_nginx.content == from_app.content


def test_app_errors_pass_through_unchanged(
    nginx: Nginx, live_server: LiveServer, app: httpx.Client
) -> None:
    with nginx.client() as client:
        from_nginx = client.get("/api/no-such-thing")
    from_app = app.get(f"{live_server.url}/api/no-such-thing")
    assert from_nginx.status_code == from_app.status_code == 404
    assert from_nginx.content == from_app.content


def test_one_node_down_is_invisible(
    tmp_path_factory: pytest.TempPathFactory, site: Path, live_server: LiveServer
) -> None:
    """A refused connection is retried on the next node, for a POST too (it was never sent)."""
    upstreams = [free_port(), live_server.port]
    with (
        running_nginx(tmp_path_factory.mktemp("nginx-half"), site, upstreams) as half,
        half.client() as client,
    ):
        for _ in range(4):
            assert client.get("/healthz").status_code == 200
            assert (
                client.post("/en/feedback", data={"page": "eta", "problem": "wrong"}).status_code
                == 200
            )


class BusyNode:
    """An application node that answers every request 503 and counts what it received."""

    BODY = b"busy node"

    def __init__(self) -> None:
        self.requests: list[str] = []
        node = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                node.requests.append(self.command)
                self.send_response(503)
                self.send_header("content-type", "text/plain")
                self.send_header("content-length", str(len(BusyNode.BODY)))
                self.end_headers()
                self.wfile.write(BusyNode.BODY)

            do_GET = do_POST = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])

    @contextmanager
    def running(self) -> Iterator[BusyNode]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
            thread.join(5)


def test_an_application_503_is_final_for_gets_and_posts(
    tmp_path_factory: pytest.TempPathFactory, site: Path
) -> None:
    """A node's 503 (the gate's refusal) is not retried on the next node: that would double
    the work of every refusal under overload and count the arrival twice."""
    first, second = BusyNode(), BusyNode()
    with (
        first.running(),
        second.running(),
        running_nginx(
            tmp_path_factory.mktemp("nginx-busy"), site, [first.port, second.port]
        ) as busy,
        busy.client() as client,
    ):
        read = client.get("/healthz")
        assert first.requests + second.requests == ["GET"]
        first.requests.clear()
        second.requests.clear()
        write = client.post("/en/feedback", data={"page": "eta", "problem": "wrong"})
        assert first.requests + second.requests == ["POST"]
    # The application's own 503 reaches the client unchanged (proxy_intercept_errors off).
    for response in (read, write):
        assert response.status_code == 503
        assert response.content == BusyNode.BODY
        assert "retry-after" not in response.headers


# ---- Limits and nginx's own errors: the exported bilingual pages ----


def test_a_body_over_64k_is_refused_by_nginx(nginx_app_down: Nginx, site: Path) -> None:
    """With the application down, a 413 can only come from nginx."""
    with nginx_app_down.client() as client:
        response = client.post(
            "/en/feedback",
            content=b"x" * (64 * 1024 + 1),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 413
    assert response.content == (site / "errors" / "413.en.html").read_bytes()
    assert "What you sent is too large" in response.text
    assert "Ce que vous avez envoyé est trop volumineux" in response.text
    assert "retry-after" not in response.headers


def test_a_body_of_exactly_64k_reaches_the_app(nginx: Nginx) -> None:
    form = b"page=eta&problem=other&details="
    body = form + b"y" * (64 * 1024 - len(form))
    with nginx.client() as client:
        response = client.post(
            "/en/feedback",
            content=body,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 422  # the app's answer: details too long


def test_an_oversized_header_is_refused_with_the_400_page(nginx: Nginx, site: Path) -> None:
    with nginx.client() as client:
        response = client.get("/healthz", headers={"cookie": "a=" + "x" * 9000})
    assert response.status_code == 400
    assert response.content == (site / "errors" / "400.en.html").read_bytes()


def test_an_overlong_url_is_refused_with_the_414_page(nginx: Nginx, site: Path) -> None:
    with nginx.client() as client:
        response = client.get("/fr/" + "x" * 9000)
    assert response.status_code == 414
    # English first: nginx refuses the request line before it knows the path.
    assert response.content == (site / "errors" / "414.en.html").read_bytes()


@pytest.mark.parametrize(
    ("method", "path", "lang"),
    [
        ("GET", "/healthz", "en"),
        ("GET", "/api/openapi.json", "en"),
        ("POST", "/en/feedback", "en"),
        ("POST", "/fr/retroaction", "fr"),
    ],
)
def test_app_down_gives_the_bilingual_503_page_with_retry_after(
    nginx_app_down: Nginx, site: Path, method: str, path: str, lang: str
) -> None:
    with nginx_app_down.client() as client:
        response = client.request(
            method, path, data={"page": "eta"} if method == "POST" else None, headers=IDENTITY
        )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "120"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.content == (site / "errors" / f"503.{lang}.html").read_bytes()
    assert "This service is busy right now" in response.text
    assert "Ce service est très occupé en ce moment" in response.text


# ---- Security headers: on every answer, once ----

SECURITY = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def assert_secured_once(response: httpx.Response, *, hsts: bool) -> None:
    for name, value in SECURITY.items():
        assert response.headers.get_list(name) == [value], (response.url, name)
    assert response.headers.get_list("strict-transport-security") == ([HSTS] if hsts else [])


# What nginx answers by itself (file, asset, redirects, its 404 page) and what the
# application answers through it (a journey page, an API error, the redirect at `/`).
NGINX_AND_APP_ANSWERS = [
    ("/en/eta", 200),
    ("/en", 301),
    ("/en/eta/", 301),
    ("/headers.json", 404),
    ("/", 302),
    ("/en/eta/apply", 200),
    ("/api/no-such-thing", 404),
]


@pytest.mark.parametrize(("path", "status"), NGINX_AND_APP_ANSWERS)
def test_every_answer_has_the_security_headers_once(
    nginx: Nginx, manifest: dict[str, dict[str, str]], path: str, status: int
) -> None:
    asset = next(p for p in manifest if p.endswith(".css"))
    with nginx.client() as client:
        response = client.get(path)
        assert response.status_code == status
        assert_secured_once(response, hsts=False)
        assert_secured_once(client.get(asset), hsts=False)


@pytest.mark.parametrize(("path", "status"), NGINX_AND_APP_ANSWERS)
def test_hsts_only_for_requests_that_came_over_tls(nginx: Nginx, path: str, status: int) -> None:
    with nginx.client() as client:
        response = client.get(path, headers={"x-forwarded-proto": "https"})
    assert response.status_code == status
    assert_secured_once(response, hsts=True)


def test_error_pages_have_the_security_headers_with_the_app_down(nginx_app_down: Nginx) -> None:
    with nginx_app_down.client() as client:
        down = client.get("/en/eta/apply")
        page = client.get("/fr/ave")
    assert down.status_code == 503
    assert_secured_once(down, hsts=False)
    assert_secured_once(page, hsts=False)


class EdgeLogCollector:
    """A real `northgate edge-log` on a throwaway SQLite database."""

    def __init__(self, base: Path) -> None:
        base.mkdir(parents=True, exist_ok=True)
        self.socket = base / "edge.sock"
        self.database_url = f"sqlite:///{base / 'edge.db'}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("NORTHGATE_")}
        self.env = {
            **env,
            "NORTHGATE_NODE_MODULES": str(REPO / "node_modules"),
            "NORTHGATE_VAR_DIR": str(base / "var"),
            "NORTHGATE_DATABASE_URL": self.database_url,
        }
        self.process: subprocess.Popen[str] | None = None

    def northgate(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "northgate", *args]

    @contextmanager
    def running(self) -> Iterator[EdgeLogCollector]:
        migrate = subprocess.run(
            self.northgate("migrate"), env=self.env, capture_output=True, text=True, timeout=120
        )
        assert migrate.returncode == 0, migrate.stderr
        self.process = subprocess.Popen(
            self.northgate("edge-log", str(self.socket)),
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while not self.socket.exists():
                if self.process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"edge-log did not start:\n{self.stop()}", pytrace=False)
                time.sleep(0.1)
            yield self
        finally:
            self.stop()

    def stop(self) -> str:
        """SIGTERM (the collector drains its socket and flushes), then its output."""
        if self.process is None:
            return ""
        process, self.process = self.process, None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate(timeout=10)
        assert process.returncode == 0, output
        return output

    def counts(self) -> dict[tuple[str, str], int]:
        """Arrivals stored, by (section, outcome)."""

        async def read() -> dict[ArrivalKey, int]:
            database = Database(self.database_url)
            try:
                return await SqlStore(database).counts("minute", 0, 2**31)
            finally:
                await database.close()

        totals: dict[tuple[str, str], int] = {}
        for key, n in asyncio.run(read()).items():
            totals[key.section, key.outcome] = totals.get((key.section, key.outcome), 0) + n
        return totals


# The edge hands its counters over once a second, and writes the request log (buffered)
# at least once a second: wait this long before reading either.
HAND_OVER_S = 2.5


def an_asset(site: Path) -> str:
    asset = next(path for path in sorted((site / "assets").rglob("*.css")))
    return "/" + str(asset.relative_to(site))


def test_what_nginx_answers_alone_is_counted_even_with_the_app_down(
    tmp_path_factory: pytest.TempPathFactory, site: Path
) -> None:
    """Pages and assets served from files, and the 503 page of a refused request, reach the
    analytics through `northgate edge-log`: 2016's turned-away visitors, counted."""
    base = tmp_path_factory.mktemp("edge-down")
    collector = EdgeLogCollector(base / "collector")
    dead = [free_port(), free_port()]
    with collector.running():
        with (
            running_nginx(base / "nginx", site, dead, edge_log=collector.socket) as nginx,
            nginx.client() as client,
        ):
            for _ in range(3):
                assert client.get("/en/eta").status_code == 200
            assert client.get(an_asset(site)).status_code == 200
            assert client.get("/en/not-a-page").status_code == 503
            assert client.post("/api/v1/applications", json={}).status_code == 503
            time.sleep(HAND_OVER_S)
        output = collector.stop()
    assert "recorded 6 arrivals (0 rejected)" in output
    assert collector.counts() == {
        ("information", "served"): 3,
        ("assets", "served"): 1,
        ("information", "shed"): 1,
        ("api", "shed"): 1,
    }


def test_what_an_application_answered_is_left_to_its_tap(
    tmp_path_factory: pytest.TempPathFactory, site: Path
) -> None:
    """No double counting: a proxied request that a node answered (here 503, busy) is not
    sent to the edge log; only the page nginx served itself is."""
    base = tmp_path_factory.mktemp("edge-up")
    collector = EdgeLogCollector(base / "collector")
    first, second = BusyNode(), BusyNode()
    with first.running(), second.running(), collector.running():
        upstreams = [first.port, second.port]
        with (
            running_nginx(base / "nginx", site, upstreams, edge_log=collector.socket) as nginx,
            nginx.client() as client,
        ):
            assert client.get("/healthz").status_code == 503
            assert client.post("/api/v1/applications", json={}).status_code == 503
            assert client.get("/fr/").status_code == 200
            time.sleep(HAND_OVER_S)
        output = collector.stop()
    assert first.requests and second.requests
    assert "recorded 1 arrivals (0 rejected)" in output
    assert collector.counts() == {("information", "served"): 1}


# ---- The front door, probes and the request log (docs/operations.md) ----

# What browsers send (languages best first), and the corners of the header's grammar.
ACCEPT_LANGUAGES = [
    "fr-CA,fr;q=0.9,en-CA;q=0.8,en;q=0.7",
    "en-CA,en;q=0.9,fr-CA;q=0.8",
    "de-CH,de;q=0.9,fr-CH;q=0.8,en;q=0.7",
    "de,en;q=0.7,fr;q=0.5",
    "FR",
    "es-MX,es;q=0.9",
    "*",
    "*,fr",
    "fr;q=0,en",
    "fr;q=0.0",
    "en;q=0,fr",
    "fro,en",
    "frx,fr-BE",
    "",
]


@pytest.mark.parametrize("accept_language", ACCEPT_LANGUAGES)
def test_root_chooses_the_language_with_every_node_down(
    nginx_app_down: Nginx, accept_language: str
) -> None:
    """`/` is the front door: nginx answers it, as the application would, with no node up."""
    with nginx_app_down.client() as client:
        response = client.get("/", headers={"accept-language": accept_language})
    assert response.status_code == 302
    assert response.headers["location"] == f"/{negotiate_language(accept_language)}/"
    assert response.headers["vary"] == "Accept-Language"
    assert response.headers["cache-control"] == "private, max-age=0"


def from_elsewhere(nginx: Nginx) -> httpx.Client:
    """A client on another address than nginx's loopback allow list (127.0.0.2)."""
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    return httpx.Client(base_url=nginx.url, timeout=TIMEOUT, transport=transport)


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/api/docs"])
def test_probes_and_the_api_page_are_for_the_operators_network_only(
    nginx: Nginx, site: Path, live_server: LiveServer, app: httpx.Client, path: str
) -> None:
    with from_elsewhere(nginx) as client:
        refused = client.get(path, headers=IDENTITY)
    assert refused.status_code == 404
    assert refused.content == (site / "errors" / "404.en.html").read_bytes()
    # From the allowed network (loopback here), the node's own answer.
    with nginx.client() as client:
        allowed = client.get(path, headers=IDENTITY)
    direct = app.get(f"{live_server.url}{path}", headers=IDENTITY)
    assert allowed.status_code == direct.status_code
    assert allowed.content == direct.content


def test_the_api_contract_stays_public(nginx: Nginx) -> None:
    with from_elsewhere(nginx) as client:
        response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.json()["openapi"]


def test_the_request_log_has_every_request_and_no_client_address(nginx: Nginx) -> None:
    forged = {"x-forwarded-for": "203.0.113.7"}
    with from_elsewhere(nginx) as client:
        assert client.get("/en/eta", headers=forged).status_code == 200
        assert client.get("/en/eta/status?reference=NG-SECRET", headers=forged).status_code
        assert client.post("/en/feedback", data={"page": "eta", "problem": "wrong"}).status_code
    time.sleep(HAND_OVER_S)  # buffered: written within a second
    log = (nginx.base / "northgate-requests.log").read_text()
    lines = log.splitlines()
    assert any(' GET "/en/eta" 200 ' in line and "edge=1" in line for line in lines), log
    assert any(' GET "/en/eta/status?" ' in line for line in lines), log
    assert any(' POST "/en/feedback" 200 ' in line and "edge=0" in line for line in lines), log
    for secret in ("127.0.0.2", "203.0.113.7", "NG-SECRET"):
        assert secret not in log


def edge_log_dropped(error_log: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NORTHGATE_")}
    done = subprocess.run(
        [sys.executable, "-m", "northgate", "edge-log-dropped", str(error_log)],
        env={**env, "NORTHGATE_NODE_MODULES": str(REPO / "node_modules")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_arrivals_sent_while_edge_log_is_down_are_counted_as_dropped(
    tmp_path_factory: pytest.TempPathFactory, site: Path
) -> None:
    """Every arrival nginx answered alone is either recorded by edge-log or reported by
    `northgate edge-log-dropped`: none vanishes without a trace."""
    base = tmp_path_factory.mktemp("edge-gap")
    collector = EdgeLogCollector(base / "collector")
    dead = [free_port(), free_port()]
    with (
        running_nginx(base / "nginx", site, dead, edge_log=collector.socket) as nginx,
        nginx.client() as client,
    ):
        with collector.running():
            for _ in range(3):
                assert client.get("/en/eta").status_code == 200
            time.sleep(HAND_OVER_S)
            recorded = collector.stop()
        # edge-log down: two pages, an asset, a refused API call.
        assert client.get("/fr/").status_code == 200
        assert client.get("/en/eta").status_code == 200
        assert client.get(an_asset(site)).status_code == 200
        assert client.post("/api/v1/applications", json={}).status_code == 503
        time.sleep(HAND_OVER_S)
    assert "recorded 3 arrivals (0 rejected)" in recorded
    report = edge_log_dropped(base / "nginx" / "error.log")
    assert report.startswith("4 arrivals nginx could not send to `northgate edge-log`"), report
    sections = dict(re.findall(r"^  (\w+) +(\d+)$", report, re.M))
    assert sections == {"information": "2", "assets": "1", "api": "1"}, report
    # Once logrotate has compressed it, the same count.
    rotated = base / "northgate-error.log.2.gz"
    rotated.write_bytes(gzip.compress((base / "nginx" / "error.log").read_bytes()))
    assert edge_log_dropped(rotated).startswith("4 arrivals nginx could not send")


def test_no_drop_is_reported_while_edge_log_runs(
    tmp_path_factory: pytest.TempPathFactory, site: Path
) -> None:
    base = tmp_path_factory.mktemp("edge-no-gap")
    collector = EdgeLogCollector(base / "collector")
    with collector.running():
        with (
            running_nginx(base / "nginx", site, [free_port()], edge_log=collector.socket) as nginx,
            nginx.client() as client,
        ):
            for _ in range(3):
                assert client.get("/en/eta").status_code == 200
            time.sleep(HAND_OVER_S)
        assert "recorded 3 arrivals" in collector.stop()
    assert edge_log_dropped(base / "nginx" / "error.log").startswith("no arrivals")
