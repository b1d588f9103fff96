"""Service Usage under its `v1beta1/` paths: Config Connector polls the operations of
`services.enable` there (conformance/kcc-golden/vpcaccess/.../subnetconnector/_http.log).

The method ids are those of v1 and lead to the very handlers (and state) of the v1 module.
"""

from __future__ import annotations

from emulator.services import serviceusage

API = serviceusage.API.serve_as("v1beta1")
