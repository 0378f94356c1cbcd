"""What the Kubernetes schemas cannot check in Tandem's rendered manifests.

    kubectl kustomize deploy/k8s/overlays/production | python deploy/k8s/check_policy.py -

Every pod hardened (non-root, read-only root filesystem, no capabilities, no privilege
escalation, RuntimeDefault seccomp, no service account token, no service links) with
requests and limits; gRPC servers probed over gRPC and the API over HTTP; each pod given
longer to stop than its process takes to drain; a PodDisruptionBudget for every
Deployment; an autoscaler for the API and every events consumer; a migration Job per
service. Prints each problem and exits 1 when there is one.
"""
from __future__ import annotations

import sys

import yaml

# Seconds a process may take to stop after SIGTERM, plus the 5 s preStop sleep where there
# is one: the gRPC server drains for 10 s, then stops its relay thread (up to 10 s);
# gunicorn waits GATEWAY_GRACEFUL_TIMEOUT (20 s); nameko waits for its running handlers.
STOP_SECONDS = {"grpc": 5 + 10 + 10, "api": 5 + 20, "events": 30, "relay": 10}
PROBED_BY = {"grpc": "grpc", "api": "httpGet"}
SERVICES = ("gateway", "leads", "sales", "service-desk", "forecast", "notify")


def pod_problems(where: str, pod: dict) -> list[str]:
    problems = []
    context = pod.get("securityContext") or {}
    if context.get("runAsNonRoot") is not True:
        problems.append(f"{where}: pod securityContext.runAsNonRoot is not true")
    if (context.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        problems.append(f"{where}: pod seccompProfile is not RuntimeDefault")
    for field in ("automountServiceAccountToken", "enableServiceLinks"):
        if pod.get(field) is not False:
            problems.append(f"{where}: {field} is not false")
    for container in pod.get("initContainers", []) + pod.get("containers", []):
        at = f"{where} container {container.get('name')}"
        sc = container.get("securityContext") or {}
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{at}: allowPrivilegeEscalation is not false")
        if sc.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{at}: readOnlyRootFilesystem is not true")
        if (sc.get("capabilities") or {}).get("drop") != ["ALL"]:
            problems.append(f"{at}: capabilities do not drop ALL")
        resources = container.get("resources") or {}
        for bound in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in (resources.get(bound) or {}):
                    problems.append(f"{at}: no {resource} {bound}")
        if container.get("image", "").endswith(":latest"):
            problems.append(f"{at}: image tag latest")
    return problems


def deployment_problems(where: str, component: str, pod: dict) -> list[str]:
    problems = []
    container = pod["containers"][0]
    probe = PROBED_BY.get(component)
    if probe:
        for kind in ("readinessProbe", "livenessProbe"):
            if probe not in (container.get(kind) or {}):
                problems.append(f"{where}: {kind} is not a {probe} probe")
    needed = STOP_SECONDS.get(component, 0)
    if pod.get("terminationGracePeriodSeconds", 30) <= needed:
        problems.append(f"{where}: terminationGracePeriodSeconds must exceed {needed} s")
    return problems


def problems(documents: list[dict]) -> list[str]:
    found = []
    by_kind: dict[str, list[dict]] = {}
    for doc in documents:
        by_kind.setdefault(doc["kind"], []).append(doc)
    budgets = [d["spec"]["selector"]["matchLabels"] for d in by_kind.get("PodDisruptionBudget", [])]
    scaled = {d["spec"]["scaleTargetRef"]["name"] for d in by_kind.get("HorizontalPodAutoscaler", [])}
    for doc in by_kind.get("Deployment", []) + by_kind.get("Job", []):
        where = f"{doc['kind']} {doc['metadata']['name']}"
        pod = doc["spec"]["template"]["spec"]
        found += pod_problems(where, pod)
        if doc["kind"] != "Deployment":
            continue
        component = doc["metadata"].get("labels", {}).get("app.kubernetes.io/component", "")
        found += deployment_problems(where, component, pod)
        if doc["spec"]["selector"]["matchLabels"] not in budgets:
            found.append(f"{where}: no PodDisruptionBudget selects it")
        if component in ("api", "events") and doc["metadata"]["name"] not in scaled:
            found.append(f"{where}: no HorizontalPodAutoscaler")
    jobs = {d["metadata"]["name"] for d in by_kind.get("Job", [])}
    found += [f"no migration Job {name}-setup" for name in SERVICES if f"{name}-setup" not in jobs]
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    with (sys.stdin if argv[0] == "-" else open(argv[0])) as handle:
        documents = [d for d in yaml.safe_load_all(handle) if d]
    found = problems(documents)
    for problem in found:
        print(f"policy: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
