"""The shared token vectors hold for the Python code, and the file is up to date.

The same file is checked by the edge's Lua in a real nginx (tests/edge/lua/)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from northgate.edge.gate.passes import PassRefused, PassSigner
from northgate.edge.gate.places import PlaceRefused, PlaceSigner
from northgate.edge.gate.visitor import VisitorCodec
from tests.vectors import generate

VECTORS: dict[str, Any] = json.loads(generate.FILE.read_text())
SECRET = VECTORS["secret"].encode("ascii")


def test_the_vectors_file_is_up_to_date() -> None:
    assert generate.FILE.read_text() == generate.render(), (
        "tests/vectors/tokens.json is stale: run `.venv/bin/python -m tests.vectors.generate`"
    )


def test_every_format_has_valid_and_refused_vectors() -> None:
    for kind in ("pass", "place", "visitor"):
        outcomes = {case["ok"] for case in VECTORS[kind]}
        assert outcomes == {True, False}, kind


@pytest.mark.parametrize("case", VECTORS["pass"], ids=lambda case: case["name"])
def test_pass_vectors(case: dict[str, Any]) -> None:
    signer = PassSigner(SECRET, VECTORS["event"], ttl=VECTORS["pass_ttl"], cap=VECTORS["pass_cap"])
    if case["ok"]:
        checked = signer.verify(case["token"], VECTORS["now"])
        assert {name: getattr(checked, name) for name in case["fields"]} == case["fields"]
    else:
        with pytest.raises(PassRefused) as refused:
            signer.verify(case["token"], VECTORS["now"])
        assert refused.value.problem.value == case["problem"]


@pytest.mark.parametrize("case", VECTORS["place"], ids=lambda case: case["name"])
def test_place_vectors(case: dict[str, Any]) -> None:
    signer = PlaceSigner(SECRET, VECTORS["event"], max_age=VECTORS["place_max_age"])
    if case["ok"]:
        checked = signer.verify(case["token"], VECTORS["now"])
        assert {name: getattr(checked, name) for name in case["fields"]} == case["fields"]
    else:
        with pytest.raises(PlaceRefused) as refused:
            signer.verify(case["token"], VECTORS["now"])
        assert refused.value.problem.value == case["problem"]


@pytest.mark.parametrize("case", VECTORS["visitor"], ids=lambda case: case["name"])
def test_visitor_vectors(case: dict[str, Any]) -> None:
    decoded = VisitorCodec(SECRET, VECTORS["event"]).decode(case["token"])
    if case["ok"]:
        assert decoded is not None
        assert decoded._asdict() == case["fields"]
    else:
        assert decoded is None
