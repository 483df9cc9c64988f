"""The Kustomize overlays render with `kubectl kustomize` and every object they make is
valid against the Kubernetes schemas (offline, those `kubernetes-validate` ships)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from leadpulse.kernel.config import load_config

KUSTOMIZE = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"
OVERLAYS = ("dev", "prod")
# The oldest Kubernetes still widely run, and the newest whose schemas the package ships.
VERSIONS = ("1.28.0", kubernetes_validate.latest_version())
SERVICES = {
    "ingest": "LP_HTTP_PORT",
    "scorer": "LP_SCORER_HEALTH_PORT",
    "router": "LP_ROUTER_HEALTH_PORT",
}

Obj = dict[str, Any]


def render(overlay: str) -> list[Obj]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is missing: `make deploy-tools` installs it"
    done = subprocess.run(
        [kubectl, "kustomize", str(KUSTOMIZE / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[Obj]]:
    return request.param, render(request.param)


def one(objects: list[Obj], kind: str, name: str) -> Obj:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"].startswith(name)]
    assert len(found) == 1, f"{kind} {name}: {[o['metadata']['name'] for o in found]}"
    return found[0]


def env_of(objects: list[Obj]) -> dict[str, str]:
    data: dict[str, str] = one(objects, "ConfigMap", "leadpulse-env-")["data"]
    return data


@pytest.mark.parametrize("version", VERSIONS)
def test_every_object_is_valid_against_the_kubernetes_schemas(
    rendered: tuple[str, list[Obj]], version: str
) -> None:
    _, objects = rendered
    assert objects
    for obj in objects:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{obj['kind']} {obj['metadata']['name']} on {version}: {exc.message}")


def test_each_service_is_probed_where_it_serves_health(rendered: tuple[str, list[Obj]]) -> None:
    _, objects = rendered
    env = env_of(objects)
    for service, port_var in SERVICES.items():
        pod = one(objects, "Deployment", f"leadpulse-{service}")["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
            http = container[probe]["httpGet"]
            assert http["path"] == path, (service, probe)
            assert ports[http["port"]] == int(env[port_var]), (service, probe)
        env_from = {next(iter(ref)): ref[next(iter(ref))]["name"] for ref in container["envFrom"]}
        assert env_from["configMapRef"].startswith("leadpulse-env")
        assert env_from["secretRef"].startswith("leadpulse-secrets")


def test_pods_run_unprivileged_on_a_read_only_root_with_bounded_resources(
    rendered: tuple[str, list[Obj]],
) -> None:
    _, objects = rendered
    for service in SERVICES:
        pod = one(objects, "Deployment", f"leadpulse-{service}")["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
        (container,) = pod["containers"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        for kind in ("requests", "limits"):
            assert set(container["resources"][kind]) == {"cpu", "memory"}, (service, kind)


def test_ingest_writes_its_spool_to_a_mounted_volume(rendered: tuple[str, list[Obj]]) -> None:
    _, objects = rendered
    data_dir = env_of(objects)["LP_DATA_DIR"]
    pod = one(objects, "Deployment", "leadpulse-ingest")["spec"]["template"]["spec"]
    mounts = {m["mountPath"]: m for m in pod["containers"][0]["volumeMounts"]}
    assert data_dir in mounts and not mounts[data_dir].get("readOnly", False)
    volume = next(v for v in pod["volumes"] if v["name"] == mounts[data_dir]["name"])
    assert "emptyDir" in volume or "persistentVolumeClaim" in volume


def test_disruption_budgets_and_the_ingest_autoscaler(rendered: tuple[str, list[Obj]]) -> None:
    _, objects = rendered
    for service in SERVICES:
        labels = one(objects, "Deployment", f"leadpulse-{service}")["spec"]["selector"]
        budget = one(objects, "PodDisruptionBudget", f"leadpulse-{service}")
        assert budget["spec"]["selector"] == labels
    hpa = one(objects, "HorizontalPodAutoscaler", "leadpulse-ingest")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "leadpulse-ingest",
    }
    assert hpa["spec"]["minReplicas"] >= 1
    assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    # An apply must not reset what the autoscaler chose.
    assert "replicas" not in one(objects, "Deployment", "leadpulse-ingest")["spec"]


def test_every_scorer_can_hold_a_partition_even_during_a_rollout(
    rendered: tuple[str, list[Obj]],
) -> None:
    _, objects = rendered
    scorer = one(objects, "Deployment", "leadpulse-scorer")["spec"]
    surge = scorer["strategy"]["rollingUpdate"]["maxSurge"]
    assert scorer["replicas"] + surge <= int(env_of(objects)["LP_KAFKA_PARTITIONS"])


def test_the_config_map_holds_a_config_leadpulse_accepts(
    rendered: tuple[str, list[Obj]], tmp_path: Path
) -> None:
    _, objects = rendered
    path = Path(env_of(objects)["LP_CONFIG"])
    config_map = one(objects, "ConfigMap", "leadpulse-config-")
    written = tmp_path / path.name
    written.write_text(config_map["data"][path.name], encoding="utf-8")
    load_config(written)  # raises ConfigError naming each problem
    pod = one(objects, "Deployment", "leadpulse-scorer")["spec"]["template"]["spec"]
    mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "config")
    assert mount["mountPath"] == str(path.parent)


def test_dev_makes_its_secret_and_prod_expects_one(rendered: tuple[str, list[Obj]]) -> None:
    overlay, objects = rendered
    secrets = [o for o in objects if o["kind"] == "Secret"]
    if overlay == "dev":
        (secret,) = secrets
        assert {"LP_REDIS_URL", "LP_WRITE_KEY", "LP_SECRET_KEY"} <= set(secret["data"])
    else:
        assert secrets == []  # created by the operator, never kept in the repository
