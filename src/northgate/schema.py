"""Every table of the application on one metadata: what Alembic's migrations must match.

Each package declares its tables on :class:`northgate.storage.base.Base`; importing the
owners here is what puts all of them on the metadata, whichever modules ran before.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from northgate.analytics.store import models as analytics_models
from northgate.capacity import models as capacity_models
from northgate.storage import models as storage_models
from northgate.storage.base import Base

OWNERS = (storage_models, analytics_models, capacity_models)
metadata: MetaData = Base.metadata
