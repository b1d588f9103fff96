"""The Cloud SQL Admin API under its older `sql/v1beta4/` paths, which gcloud uses.

Both documents describe the same API with the same method ids; the v1beta4
routes lead to the very handlers (and state) of the v1 modules.
"""

from __future__ import annotations

from emulator.registry import Api
from emulator.services import (
    sqladmin_backups,
    sqladmin_children,
    sqladmin_instances,
    sqladmin_operations,
)

API = Api("sqladmin", "v1beta4")

for _module in (sqladmin_instances, sqladmin_children, sqladmin_operations, sqladmin_backups):
    for _method_id, _handler in _module.API.handlers.items():
        API.handles(_method_id)(_handler)
