#!/usr/bin/env bash
# Checks the shipped deployment files against the binary they run:
#   scripts/check-deploy.sh BIN VENV
# - the Kubernetes manifests validate against the API's schemas (kubernetes-validate);
# - every flag the manifests and the Dockerfile pass exists in `fluidity serve --help`
#   (or `fluidity health --help` for the HEALTHCHECK);
# - the Services use the container's gRPC port, the one the image exposes;
# - the probes ask the metrics port's path, and the binary answers SERVING there.
set -euo pipefail
BIN="$1"; VENV="$2"
cd "$(dirname "$0")/.."
"$VENV/bin/pip" install --quiet --disable-pip-version-check kubernetes-validate
"$VENV/bin/kubernetes-validate" --strict deploy/kubernetes/*.yaml

serve_flags=$("$BIN" serve --help | grep -oE -- '--[a-z0-9-]+' | sort -u)
health_flags=$("$BIN" health --help | grep -oE -- '--[a-z0-9-]+' | sort -u)
status=0
for flag in $(grep -oE -- '- --[a-z0-9-]+' deploy/kubernetes/*.yaml | grep -oE -- '--[a-z0-9-]+' | sort -u) \
            $(grep -E '^CMD' Dockerfile | grep -oE -- '--[a-z0-9-]+' | sort -u); do
  if ! grep -qx -- "$flag" <<<"$serve_flags"; then
    echo "deploy: $flag is not a flag of fluidity serve"; status=1
  fi
done
for flag in $(grep -A1 HEALTHCHECK Dockerfile | grep -oE -- '--[a-z0-9-]+' | grep -v -- '--interval\|--timeout=\|--retries' | sort -u); do
  if ! grep -qx -- "$flag" <<<"$health_flags"; then
    echo "deploy: $flag is not a flag of fluidity health"; status=1
  fi
done
grep -q 'EXPOSE 50051' Dockerfile || { echo "deploy: the image does not expose 50051"; status=1; }
grep -q 'containerPort: 50051' deploy/kubernetes/fluidity.yaml || { echo "deploy: the container's gRPC port is not 50051"; status=1; }
grep -q 'containerPort: 9090' deploy/kubernetes/fluidity.yaml || { echo "deploy: the container's metrics port is not 9090"; status=1; }
grep -q -- '--metrics-addr=0.0.0.0:9090' deploy/kubernetes/fluidity.yaml || { echo "deploy: the server does not serve metrics on 9090"; status=1; }
[ "$(grep -c 'httpGet: {path: /healthz, port: metrics}' deploy/kubernetes/fluidity.yaml)" = 2 ] \
  || { echo "deploy: readiness and liveness do not both ask /healthz on the metrics port"; status=1; }
# And the binary answers the probe's path: SERVING from a server started as the pod's.
work=$(mktemp -d)
"$BIN" serve --addr 127.0.0.1:0 --metrics-addr 127.0.0.1:0 >"$work/serve.out" 2>/dev/null &
server=$!
for _ in $(seq 100); do grep -q '^metrics on ' "$work/serve.out" && break; sleep 0.1; done
metrics=$(sed -n 's/^metrics on //p' "$work/serve.out")
if ! "$VENV/bin/python" -c "import urllib.request, sys
r = urllib.request.urlopen('http://$metrics/healthz', timeout=5)
sys.exit(0 if r.status == 200 and r.read() == b'SERVING\n' else 1)"; then
  echo "deploy: $BIN serve does not answer SERVING on /healthz of its metrics port"; status=1
fi
kill "$server"; wait "$server" 2>/dev/null || true; rm -rf "$work"
grep -q -- '--addr=0.0.0.0:50051' deploy/kubernetes/fluidity.yaml || { echo "deploy: the server does not listen on 50051"; status=1; }
[ "$status" = 0 ] && echo "deploy: manifests valid; every flag exists; ports agree"
exit "$status"
