#!/usr/bin/env bash
# Checks the shipped deployment files against the binary they run:
#   scripts/check-deploy.sh BIN VENV
# - the Kubernetes manifests validate against the API's schemas (kubernetes-validate);
# - every flag the manifests and the Dockerfile pass exists in `fluidity serve --help`
#   (or `fluidity health --help` for the HEALTHCHECK);
# - the probes and Services use the container's gRPC port, the one the image exposes.
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
grep -q 'grpc: {port: 50051' deploy/kubernetes/fluidity.yaml || { echo "deploy: the probes do not ask port 50051"; status=1; }
grep -q -- '--addr=0.0.0.0:50051' deploy/kubernetes/fluidity.yaml || { echo "deploy: the server does not listen on 50051"; status=1; }
[ "$status" = 0 ] && echo "deploy: manifests valid; every flag exists; ports agree"
exit "$status"
