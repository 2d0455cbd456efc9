"""The shared test vectors of every token format the edge and the nodes both read.

``tests/vectors/tokens.json`` is checked by the Python code (tests/vectors/test_tokens.py)
and by the Lua code in a real nginx (tests/edge/lua/test_lua_tokens.py), so the two
implementations of each format cannot drift apart. Regenerate after changing a format:

    .venv/bin/python -m tests.vectors.generate

(the test fails while the file is stale). Deterministic: a fixed secret, clock and ids.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from northgate.core.signing import Purpose, derive_key, hmac_sha256
from northgate.edge.gate import places
from northgate.edge.gate.passes import Pass, PassSigner
from northgate.edge.gate.places import Place, PlaceSigner
from northgate.edge.gate.visitor import Visitor, VisitorCodec

FILE = Path(__file__).with_name("tokens.json")
SECRET = b"northgate test vectors: not a secret, 0123456789abcdef"
EVENT = "eta"
NOW = 1_800_000_000
PASS_TTL, PASS_CAP = 1800, 14400


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signed(purpose: Purpose, payload: str) -> str:
    """A token of the pass/place shape over any payload, signed with ``purpose``'s key."""
    raw = payload.encode("latin-1")
    return f"{_b64(raw)}.{_b64(hmac_sha256(derive_key(SECRET, purpose), raw))}"


def _flip(token: str, index: int) -> str:
    """``token`` with one base64url character changed (still the right shape)."""
    swapped = "B" if token[index] == "A" else "A"
    return token[:index] + swapped + token[index + 1 :]


def _case(name: str, token: str, problem: str | None, **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "token": token,
        "ok": problem is None,
        "problem": problem,
        "fields": fields,
    }


def pass_cases() -> list[dict[str, Any]]:
    signer = PassSigner(SECRET, EVENT, ttl=PASS_TTL, cap=PASS_CAP)
    held = Pass(EVENT, "visitorAB12", NOW - 100, NOW + 1700, "jtiXYZ0123456789")
    unheld = Pass(EVENT, "visitorCD34", NOW - 5, NOW + 1795, "jtiUNHELD000000", held=False)
    good = signer.sign(held)
    payload, _, mac = good.partition(".")

    def fields(p: Pass) -> dict[str, Any]:
        return {
            "event": p.event, "visitor": p.visitor, "issued_at": p.issued_at,
            "expires_at": p.expires_at, "jti": p.jti, "held": p.held,
        }  # fmt: skip

    return [
        _case("held", good, None, **fields(held)),
        _case("unheld", signer.sign(unheld), None, **fields(unheld)),
        _case("expired", signer.sign(Pass(EVENT, "v1", NOW - 2000, NOW, "j1")), "expired"),
        _case(
            "beyond-the-cap",
            signer.sign(Pass(EVENT, "v1", NOW - 10, NOW - 10 + PASS_CAP + 1, "j2")),
            "expired",
        ),
        _case("other-event", signer.sign(Pass("other", "v1", NOW, NOW + 60, "j3")), "wrong-event"),
        _case("tampered-payload", _flip(good, 3), "bad-signature"),
        _case("tampered-signature", f"{payload}.{_flip(mac, 5)}", "bad-signature"),
        _case("place-key", _signed(Purpose.PLACE, held.payload()), "bad-signature"),
        _case("visitor-key", _signed(Purpose.VISITOR, held.payload()), "bad-signature"),
        _case("version-2", _signed(Purpose.PASS, f"v2|{EVENT}|v|{NOW}|{NOW + 60}|j"), "malformed"),
        _case("no-jti", _signed(Purpose.PASS, f"v1|{EVENT}|v|{NOW}|{NOW + 60}|"), "malformed"),
        _case("no-visitor", _signed(Purpose.PASS, f"v1|{EVENT}||{NOW}|{NOW + 60}|j"), "malformed"),
        _case(
            "seventh-field",
            _signed(Purpose.PASS, f"v1|{EVENT}|v|{NOW}|{NOW + 60}|j|x"),
            "malformed",
        ),
        _case("not-a-number", _signed(Purpose.PASS, f"v1|{EVENT}|v|{NOW}|soon|j"), "malformed"),
        _case("no-dot", payload + mac, "malformed"),
        _case("short-signature", f"{payload}.{mac[:-1]}", "malformed"),
        _case("padded", f"{payload}.{mac}=", "malformed"),
        _case("empty", "", "malformed"),
        _case("too-long", f"{'A' * 600}.{mac}", "malformed"),
        _case("not-ascii", f"{payload[:-1]}\u00e9.{mac}", "malformed"),
    ]


def place_cases() -> list[dict[str, Any]]:
    signer = PlaceSigner(SECRET, EVENT)
    place = Place(EVENT, "g1a2b3c4", 4242, NOW - 30)
    good = signer.sign(place)
    payload, _, mac = good.partition(".")
    old = NOW - places.MAX_AGE - 1
    return [
        _case("waiting", good, None, event=EVENT, gen="g1a2b3c4", ticket=4242, issued_at=NOW - 30),
        _case("other-event", signer.sign(Place("other", "g", 1, NOW)), "wrong-event"),
        _case("too-old", signer.sign(Place(EVENT, "g", 1, old)), "expired"),
        _case("from-the-future", signer.sign(Place(EVENT, "g", 1, NOW + 3600)), "expired"),
        _case("tampered-payload", _flip(good, 4), "bad-signature"),
        _case("tampered-signature", f"{payload}.{_flip(mac, 2)}", "bad-signature"),
        _case("pass-key", _signed(Purpose.PASS, place.payload()), "bad-signature"),
        _case("ticket-zero", _signed(Purpose.PLACE, f"v1|{EVENT}|g|0|{NOW}"), "malformed"),
        _case("negative", _signed(Purpose.PLACE, f"v1|{EVENT}|g|-4|{NOW}"), "malformed"),
        _case("bad-gen", _signed(Purpose.PLACE, f"v1|{EVENT}|g.x|4|{NOW}"), "malformed"),
        _case("extra-field", _signed(Purpose.PLACE, f"v1|{EVENT}|g|4|{NOW}|x"), "malformed"),
        _case("no-dot", payload + mac, "malformed"),
        _case("empty", "", "malformed"),
    ]


def visitor_cases() -> list[dict[str, Any]]:
    codec = VisitorCodec(SECRET, EVENT)
    visitor = Visitor("abcDEF123", "g1", 17, NOW + 120, NOW - 60)
    good = codec.encode(visitor)
    return [
        _case("placed", good, None, **visitor._asdict()),
        _case("tampered", good.replace(".17.", ".16."), "bad-signature"),
        _case("other-event", VisitorCodec(SECRET, "other").encode(visitor), "bad-signature"),
        _case("malformed", "abc.def", "malformed"),
    ]


def build() -> dict[str, Any]:
    return {
        "about": "Token vectors; regenerate: python -m tests.vectors.generate",
        "secret": SECRET.decode("ascii"),
        "event": EVENT,
        "now": NOW,
        "pass_ttl": PASS_TTL,
        "pass_cap": PASS_CAP,
        "place_max_age": places.MAX_AGE,
        "keys": {purpose.value: derive_key(SECRET, purpose).hex() for purpose in Purpose},
        "pass": pass_cases(),
        "place": place_cases(),
        "visitor": visitor_cases(),
    }


def render() -> str:
    return json.dumps(build(), indent=1, ensure_ascii=True) + "\n"


if __name__ == "__main__":
    FILE.write_text(render())
    print(f"wrote {FILE}")
