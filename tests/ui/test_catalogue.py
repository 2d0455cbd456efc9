"""Every interface string has a French translation: the site is bilingual or it is broken."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from northgate.ui.i18n import LOCALE_DIR

SRC = Path(__file__).resolve().parents[2] / "src" / "northgate"
METHOD_MAP = [("ui/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"ui/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "gettext": (2,), "ngettext": (1, 2)}


def _source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        SRC,
        METHOD_MAP,
        OPTIONS,
        keywords=KEYWORDS,
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_interface_string_is_translated_into_french() -> None:
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        catalog = read_po(po_file)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(_source_messages() - translated)
    assert missing == [], f"untranslated (run `make messages` and translate): {missing}"
