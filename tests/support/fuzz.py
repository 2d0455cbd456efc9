"""Hypothesis strategies for what a hostile client sends back in place of our tokens."""

from __future__ import annotations

from hypothesis import strategies as st

# Bytes a client can put in a header value or a form field: anything but CR and LF (which
# end a header line before the application sees them), plus a few characters that parsers
# give meaning to.
HOSTILE = st.binary(max_size=80).map(lambda raw: raw.replace(b"\r", b"").replace(b"\n", b""))
NON_ASCII = st.sampled_from(
    [b"\xe9", b"\xc3\xa9", b"\xff", b"\x00", b"\xb2", b"\xed\xa0\x80", b";", b"=", b'"', b"."]
)


@st.composite
def mangled(draw: st.DrawFn, valid: bytes) -> bytes:
    """A valid token with a piece replaced, cut, or bytes put in; or arbitrary bytes.

    Near-valid values matter most: they get past the cheap checks (count of dots, length)
    to the parsing and signature comparison behind them."""
    kind = draw(st.integers(min_value=0, max_value=3))
    if kind == 0:
        return draw(HOSTILE)
    start = draw(st.integers(min_value=0, max_value=len(valid)))
    end = draw(st.integers(min_value=start, max_value=len(valid)))
    if kind == 1:
        inserted = draw(NON_ASCII)
    elif kind == 2:
        inserted = draw(HOSTILE)
    else:
        inserted = draw(st.lists(NON_ASCII, min_size=1, max_size=4).map(b"".join))
    return valid[:start] + inserted + valid[end:]


def latin1(raw: bytes) -> str:
    """Header bytes as the ASGI server and Starlette hand them to the application."""
    return raw.decode("latin-1")
