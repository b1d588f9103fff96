"""The service families, in the order their resources usually depend on each other."""

from __future__ import annotations

from pathlib import Path

from provisioner.engine.kind import Reconciler

#: List prices the kinds' cost estimates read (`python -m provisioner cost`).
PRICE_TABLE = Path(__file__).with_name("prices.yaml")


def all_reconcilers() -> list[Reconciler]:
    from reconcilers.gke import GkeReconciler
    from reconcilers.kms import KmsReconciler
    from reconcilers.lb import LoadBalancerReconciler
    from reconcilers.monitoring import MonitoringReconciler
    from reconcilers.network import NetworkReconciler
    from reconcilers.run import RunReconciler
    from reconcilers.scheduler import SchedulerReconciler
    from reconcilers.secrets import SecretsReconciler
    from reconcilers.services import ServicesReconciler
    from reconcilers.sql import SqlReconciler
    from reconcilers.storage import StorageReconciler

    return [
        ServicesReconciler(),
        KmsReconciler(),
        NetworkReconciler(),
        SecretsReconciler(),
        StorageReconciler(),
        SqlReconciler(),
        GkeReconciler(),
        MonitoringReconciler(),
        RunReconciler(),
        LoadBalancerReconciler(),
        SchedulerReconciler(),
    ]
