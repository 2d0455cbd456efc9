"""The lines nginx sends for the requests it answers by itself, into the tap's recorder."""

from __future__ import annotations

import json

import pytest

from northgate.analytics.addresses import ClientAddress
from northgate.analytics.countries import StaticResolver
from northgate.analytics.dimensions import ArrivalKey
from northgate.analytics.edge_log import EdgeArrival, EdgeLogProtocol, parse, record
from northgate.analytics.recorder import Recorder
from northgate.analytics.salts import DailySalts, MemorySaltStore
from northgate.analytics.sections import SectionClassifier

T = 1_700_000_000.25
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"


def datagram(**fields: object) -> bytes:
    """As nginx sends it: syslog priority, tag, then the JSON of log_format northgate_edge."""
    line = {"t": T, "s": 200, "u": "/en/eta", "a": "203.0.113.9", "f": "", "ua": FIREFOX, "ra": ""}
    line.update(fields)
    return b"<190>northgate: " + json.dumps(line).encode()


def recorder(*, trusted: list[str] | None = None) -> Recorder:
    return Recorder(
        countries=StaticResolver({"203.0.113.9": "US", "198.51.100.7": "CA"}),
        salts=DailySalts(MemorySaltStore()),
        addresses=ClientAddress(trusted or []),
        # As `northgate edge-log` builds it: the site's page addresses are information.
        sections=SectionClassifier(["/en/eta", "/fr/"]),
        clock=lambda: T,
    )


def test_a_line_becomes_an_arrival() -> None:
    assert parse(datagram()) == EdgeArrival(
        started=T,
        path="/en/eta",
        peer="203.0.113.9",
        forwarded_for=None,
        user_agent=FIREFOX.encode(),
        status=200,
        retry_after=False,
    )


@pytest.mark.parametrize(
    ("request_uri", "path"),
    [
        ("/en/eta?utm_source=x&y=%20", "/en/eta"),  # the query string is not part of the path
        ("/fr/%C3%A9ta", "/fr/éta"),  # decoded, as the tap's scope["path"] is
        ("/en/%ZZ", "/en/%ZZ"),  # a broken escape stays as sent
        ("?only=query", "/"),
    ],
)
def test_the_path_is_what_the_tap_would_see(request_uri: str, path: str) -> None:
    arrival = parse(datagram(u=request_uri))
    assert arrival is not None
    assert arrival.path == path


def test_escaped_user_agents_and_forwarded_for_survive() -> None:
    # nginx's escape=json turns quotes and control bytes into JSON escapes.
    raw = b'<190>northgate: {"t":1.5,"s":503,"u":"/","a":"10.0.0.1","f":"198.51.100.7",'
    raw += b'"ua":"bot \\"quoted\\" \\u0001","ra":"120"}'
    arrival = parse(raw)
    assert arrival is not None
    assert arrival.user_agent == b'bot "quoted" \x01'
    assert arrival.forwarded_for == b"198.51.100.7"
    assert arrival.retry_after


@pytest.mark.parametrize(
    "junk",
    [
        b"",
        b"<190>northgate: not json at all",
        b"<190>northgate: {",
        b'<190>northgate: {"t":1.5}',  # fields missing
        datagram(s="two hundred"),
        datagram(t=None),
        b"<190>northgate: [1, 2]",
    ],
)
def test_anything_else_is_not_an_arrival(junk: bytes) -> None:
    assert parse(junk) is None


def test_recorded_like_the_tap_with_country_section_and_outcome() -> None:
    rec = recorder()
    for line in (
        datagram(),  # a page file
        datagram(u="/assets/app.css"),
        datagram(s=503, ra="120", u="/en/eta/apply"),  # the application was down
        datagram(s=404, u="/en/nope"),
    ):
        arrival = parse(line)
        assert arrival is not None
        record(rec, arrival)
    counts = rec.take().counts
    minute = int(T) // 60
    assert counts == {
        ArrivalKey(minute, "information", "en", "US", "served", False): 1,
        ArrivalKey(minute, "assets", "en", "US", "served", False): 1,
        ArrivalKey(minute, "eta", "en", "US", "shed", False): 1,
        ArrivalKey(minute, "information", "en", "US", "client_error", False): 1,
    }


def test_forwarded_for_counts_only_behind_a_trusted_proxy() -> None:
    forged = parse(datagram(f="198.51.100.7"))
    assert forged is not None
    untrusted, trusted = recorder(), recorder(trusted=["203.0.113.9"])
    record(untrusted, forged)
    record(trusted, forged)
    assert [key.country for key in untrusted.take().counts] == ["US"]  # the socket's address
    assert [key.country for key in trusted.take().counts] == ["CA"]  # the proxy's word


def test_the_listener_records_good_lines_and_counts_the_rest() -> None:
    rec = recorder()
    listener = EdgeLogProtocol(rec)
    for data in (datagram(), b"garbage", datagram(u="/fr/")):
        listener.datagram_received(data, None)
    assert (listener.recorded, listener.rejected) == (2, 1)
    assert rec.pending() == 2
