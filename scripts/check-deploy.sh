#!/usr/bin/env bash
# Checks deploy/ as far as a machine without Docker or a cluster allows. Each check runs when its tool is present:
#   promtool (apt: prometheus)            the alert rules and their unit tests
#   systemd-analyze (apt: systemd)        the unit file
#   kubectl                               kustomize build of deploy/kubernetes and deploy/kubernetes-replicas
#   kubernetes-validate (pip)             Kubernetes schemas, strict (PodMonitor/PrometheusRule are CRDs: skipped)
# `swift test` runs each of them too when installed (DeployFilesTests) and checks that the files agree with the bridge.
set -euo pipefail
cd "$(dirname "$0")/.."
ran=0
have() { command -v "$1" >/dev/null 2>&1; }
if have promtool; then
    promtool check rules deploy/prometheus/convobridge-alerts.yaml
    promtool test rules deploy/prometheus/convobridge-alerts.test.yaml
    ran=$((ran + 1))
fi
if have systemd-analyze; then
    unit_dir=$(mktemp -d)
    trap 'rm -rf "$unit_dir"' EXIT
    sed 's|/usr/local/bin/convobridge|/bin/true|g' deploy/systemd/convobridge.service > "$unit_dir/convobridge.service"
    output=$(systemd-analyze verify "$unit_dir/convobridge.service" 2>&1)
    [ -z "$output" ] || { echo "$output" >&2; exit 1; }
    echo "systemd-analyze verify: OK"
    ran=$((ran + 1))
fi
if have kubectl; then
    kubectl kustomize deploy/kubernetes > /dev/null
    echo "kubectl kustomize deploy/kubernetes: OK"
    kubectl kustomize deploy/kubernetes-replicas > /dev/null
    echo "kubectl kustomize deploy/kubernetes-replicas: OK"
    ran=$((ran + 1))
fi
if have kubernetes-validate; then
    kubernetes-validate --strict deploy/kubernetes/{configmap,deployment,service,persistentvolumeclaim,secret.example}.yaml
    kubernetes-validate --strict deploy/kubernetes-replicas/{configmap,statefulset,headless-service}.yaml
    ran=$((ran + 1))
fi
echo "$ran check(s) ran"
