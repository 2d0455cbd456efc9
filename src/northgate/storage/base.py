"""The one declarative base every table is declared on, by the package that owns it.

Storage's own tables are in :mod:`.models`; a package above storage (analytics) declares
its tables on this base too, without storage importing it. :mod:`northgate.schema` gathers
them all for Alembic.
"""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
