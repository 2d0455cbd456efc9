"""The README stands on its own in a clone: it points at nothing outside the repository,
and it says what an operator needs to run `northgate gate`."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from northgate.edge.gate.config import GateLimits

REPO = Path(__file__).resolve().parent.parent
DOCUMENTS = [
    REPO / "README.md",
    REPO / "CONTRIBUTING.md",
    REPO / "bench" / "README.md",
    *sorted(REPO.glob("docs/**/*.md")),
]
LINK = re.compile(r"\]\(([^)#\s]+)[^)]*\)")
QUOTED_PATH = re.compile(r"`(\.\.?/[^`\s]+)`")
# A file of the project named in backquotes (`src/northgate/site/cached.py`): after a module
# moves, the documents that name it must follow.
PROJECT_FILE = re.compile(r"`((?:src|tests|bench|deploy|docs|scripts)/[\w./-]+?)(?::\w+)?`")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(REPO)))
def test_paths_in_the_documentation_stay_in_the_repository(document: Path) -> None:
    text = document.read_text()
    for target in LINK.findall(text) + QUOTED_PATH.findall(text):
        if re.match(r"[a-z]+:", target):
            continue  # a web address
        resolved = (document.parent / target).resolve()
        assert resolved.is_relative_to(REPO), f"{target} is outside the repository"
        assert resolved.exists(), f"{target} does not exist"
    for named in PROJECT_FILE.findall(text):
        assert (REPO / named.rstrip("/")).exists(), f"{named} is named but does not exist"


def test_the_commands_section_says_what_northgate_gate_needs() -> None:
    readme = (REPO / "README.md").read_text()
    commands = readme.split("## Commands", 1)[1].split("\n## ", 1)[0]
    for needed in ("NORTHGATE_GATE_ADMIN_TOKEN", "--url", "--direct", "enabled=false"):
        assert needed in commands
    for limit in fields(GateLimits):
        assert f"`{limit.name}" in commands
