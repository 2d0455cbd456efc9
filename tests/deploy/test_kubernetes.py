"""deploy/kubernetes/: valid against the Kubernetes API schemas (kubernetes-validate,
strict: a misspelt field is an error, not silently ignored), and consistent with itself
and with the application: the probes are the nodes' routes, the Service reaches the pods,
and the autoscaler follows arrivals per node's capacity, never CPU."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from northgate.core.routes import path
from northgate.scaling.advice import DEFAULT_HEADROOM, nodes_needed

REPO = Path(__file__).resolve().parents[2]
MANIFESTS = REPO / "deploy" / "kubernetes"
# The oldest version the manifests need (the preStop `sleep` action) and the newest known.
VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]
# What hpa.yaml's comment says one node was measured to sustain.
CAPACITY_PER_NODE = 100


def documents() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for manifest in sorted(MANIFESTS.glob("*.yaml")):
        for document in yaml.safe_load_all(manifest.read_text()):
            found[document["kind"]] = document
    return found


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("kind", ["Deployment", "Service", "HorizontalPodAutoscaler"])
def test_every_manifest_is_valid(kind: str, version: str) -> None:
    kubernetes_validate.validate(documents()[kind], version, strict=True)


def test_a_misspelt_field_is_caught() -> None:
    broken = copy.deepcopy(documents()["Deployment"])
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[0], strict=True)


def container() -> dict[str, Any]:
    pod = documents()["Deployment"]["spec"]["template"]["spec"]
    found: dict[str, Any] = pod["containers"][0]
    return found


def test_probes_are_the_nodes_routes() -> None:
    node = container()
    assert node["readinessProbe"]["httpGet"]["path"] == path("ops.readyz")
    assert node["livenessProbe"]["httpGet"]["path"] == path("ops.healthz")


def test_the_service_reaches_the_pods() -> None:
    deployment, service = documents()["Deployment"], documents()["Service"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert deployment["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]
    ports = {port["name"]: port["containerPort"] for port in container()["ports"]}
    assert service["spec"]["ports"][0]["targetPort"] in ports
    assert str(ports["http"]) in container()["command"]


def test_scaling_in_drains_before_the_node_stops() -> None:
    pod = documents()["Deployment"]["spec"]["template"]["spec"]
    wait = container()["lifecycle"]["preStop"]["sleep"]["seconds"]
    # The wait, then the 30 s the server may take to finish what it holds.
    assert pod["terminationGracePeriodSeconds"] >= wait + 30


def test_the_autoscaler_follows_arrivals_per_capacity_not_cpu() -> None:
    hpa = documents()["HorizontalPodAutoscaler"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == documents()["Deployment"]["metadata"]["name"]
    metrics = hpa["spec"]["metrics"]
    assert [metric["type"] for metric in metrics] == ["External"]
    target = metrics[0]["external"]["target"]
    assert target["type"] == "AverageValue"
    # ceil(arrivals / averageValue) pods: the same count as `northgate scale`'s advice.
    per_pod = float(target["averageValue"])
    assert per_pod == CAPACITY_PER_NODE * (1 - DEFAULT_HEADROOM)
    for arrivals in (50, 80, 81, 1800):
        assert -(-arrivals // per_pod) == max(1, nodes_needed(arrivals, CAPACITY_PER_NODE))
    # Up within seconds, down slowly.
    assert hpa["spec"]["behavior"]["scaleUp"]["stabilizationWindowSeconds"] == 0
    assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] >= 300
