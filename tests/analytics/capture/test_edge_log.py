"""The lines nginx sends for the requests it answers by itself, into the tap's recorder."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from northgate.analytics.capture.addresses import ClientAddress
from northgate.analytics.capture.countries import StaticResolver
from northgate.analytics.capture.dimensions import ArrivalKey
from northgate.analytics.capture.edge_log import (
    COUNTS_MAGIC,
    EdgeArrival,
    EdgeLogReader,
    bind_socket,
    parse,
    parse_counts,
    record,
)
from northgate.analytics.capture.recorder import Recorder
from northgate.analytics.capture.salts import DailySalts, MemorySaltStore
from northgate.analytics.capture.sections import SectionClassifier

T = 1_700_000_000.25
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"


def datagram(**fields: str) -> bytes:
    """As nginx sends it: syslog header and tag, then log_format northgate_edge."""
    line = {
        "t": f"{T:.3f}",
        "s": "200",
        "u": "/en/eta",
        "a": "203.0.113.9",
        "f": "-",  # nginx logs an empty value as "-"
        "ua": FIREFOX,
        "ra": "-",
    }
    line.update(fields)
    return b"<190>Dec  1 06:37:14 northgate: " + "\t".join(line.values()).encode("latin-1")


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
    # nginx escapes a quote, a backslash and bytes outside 32-126 as \xHH.
    raw = datagram(
        s="503", f="198.51.100.7", ua=r"bot \x22quoted\x22 \x01 caf\xC3\xA9", ra="120", u="/"
    )
    arrival = parse(raw)
    assert arrival is not None
    assert arrival.user_agent == b'bot "quoted" \x01 caf\xc3\xa9'
    assert arrival.forwarded_for == b"198.51.100.7"
    assert arrival.retry_after
    assert arrival.status == 503


def test_raw_utf8_in_the_address_is_decoded_like_the_tap() -> None:
    arrival = parse(datagram(u=r"/fr/\xC3\xA9t\xC3\xA9?q=1"))
    assert arrival is not None
    assert arrival.path == "/fr/été"


@pytest.mark.parametrize(
    "junk",
    [
        b"",
        b"<190>Dec  1 06:37:14 northgate: not ours at all",
        b"no syslog header",
        datagram()[:-10],  # cut short: a field missing
        datagram() + b"\textra",
        datagram(s="two hundred"),
        datagram(t="yesterday"),
    ],
)
def test_anything_else_is_not_an_arrival(junk: bytes) -> None:
    assert parse(junk) is None


def test_recorded_like_the_tap_with_country_section_and_outcome() -> None:
    rec = recorder()
    for line in (
        datagram(),  # a page file
        datagram(u="/assets/app.css"),
        datagram(s="503", ra="120", u="/en/eta/apply"),  # the application was down
        datagram(s="404", u="/en/nope"),
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


def test_the_reader_takes_a_batch_a_wake_up_and_drains_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "edge.sock"
    sock = bind_socket(path)
    sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        for data in (datagram(), b"garbage", datagram(u="/fr/"), datagram(), datagram()):
            sender.sendto(data, str(path))
        rec = recorder()
        reader = EdgeLogReader(rec, batch=2)
        reader.read(sock)
        assert (reader.recorded, reader.rejected) == (1, 1)
        reader.drain(sock)
        assert (reader.recorded, reader.rejected) == (4, 1)
        reader.read(sock)  # nothing left: returns at once
        assert rec.pending() == 4
    finally:
        sender.close()
        sock.close()


# ---- The edge's counters (deploy/nginx/lua/northgate/counts.lua), a second at a time ----


def counters(*lines: str) -> bytes:
    """As the edge sends them: arrivals, second, block, status, gate:retry-after, path,
    user agent."""
    return COUNTS_MAGIC + "".join(f"{line}\n" for line in lines).encode("latin-1")


def test_counters_become_raw_keys_of_the_tap() -> None:
    second = int(T)
    found = parse_counts(
        counters(
            f"3\t{second}\t203.113.0.0\t200\t:\t/en/eta\t{FIREFOX}",
            f"2\t{second}\t203.113.0.0\t503\tqueued:7\t/en/eta/apply\t{FIREFOX}",
            f"1\t{second}\t\t503\t:120\t/fr/%C3%A9ta\tcurl/8\twith a tab",
            "4\t~\t\t404\t\t\t",
        ),
        now=T + 60,
    )
    minute = second // 60
    assert found == [
        ((minute, "/en/eta", "203.113.0.0", None, FIREFOX.encode(), 200, False, None, None), 3),
        ((minute, "/en/eta/apply", "203.113.0.0", None, FIREFOX.encode(), 503, True, "queued",
          None), 2),
        ((minute, "/fr/éta", None, None, b"curl/8\twith a tab", 503, True, None, None), 1),
        # The overflow counter: no second, no path, no block, no user agent.
        ((minute + 1, "/", None, None, b"", 404, False, None, None), 4),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "junk",
    [
        COUNTS_MAGIC + b"3\t1700000000\t\t200\t:\t/en/eta\n",  # a field missing
        COUNTS_MAGIC + b"three\t1700000000\t\t200\t:\t/en/eta\tx\n",
        COUNTS_MAGIC + b"3\tnow\t\t200\t:\t/en/eta\tx\n",
        b"northgate-counts 2\n",
    ],
)
def test_anything_else_is_not_counters(junk: bytes) -> None:
    assert parse_counts(junk, T) is None


def test_counters_are_recorded_in_bulk_with_country_per_block() -> None:
    rec = recorder()
    reader = EdgeLogReader(rec, clock=lambda: T)
    reader.line(
        counters(
            f"5\t{int(T)}\t203.0.113.9\t200\t:\t/en/eta\t{FIREFOX}",
            f"7\t{int(T)}\t203.0.113.9\t200\tqueued:\t/en/eta/apply\t{FIREFOX}",
        )
    )
    assert (reader.recorded, reader.rejected) == (12, 0)
    assert rec.pending() == 12
    batch = rec.take()
    minute = int(T) // 60
    assert batch.counts == {
        ArrivalKey(minute, "information", "en", "US", "served", False): 5,
        ArrivalKey(minute, "eta", "en", "US", "queued", False): 7,
    }
    # One visitor: the block and the user agent.
    assert [len(hashes) for hashes in batch.visitors.values()] == [1, 1]
    assert rec.pending() == 0
