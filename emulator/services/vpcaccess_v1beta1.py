"""Serverless VPC Access under its `v1beta1/` paths, which Config Connector uses.

The two documents share method ids and resource shapes; the v1beta1 routes lead to the very
handlers (and state) of the v1 module, so the real traffic recorded through v1beta1
(conformance/kcc-golden/vpcaccess/) measures the connectors the provisioner makes through v1.
"""

from __future__ import annotations

from emulator.services import vpcaccess

API = vpcaccess.API.serve_as("v1beta1")
