"""Service Usage under its `v1beta1/` paths: Config Connector polls the operations of
`services.enable` there (conformance/kcc-golden/vpcaccess/.../subnetconnector/_http.log).

The method ids are those of v1 and lead to the very handlers (and state) of the v1 module.
"""

from __future__ import annotations

from emulator.registry import Api
from emulator.services import serviceusage

API = Api("serviceusage", "v1beta1")

for _method_id, _handler in serviceusage.API.handlers.items():
    try:
        API.handles(_method_id)(_handler)
    except ValueError:  # a v1 method v1beta1 does not have
        continue
