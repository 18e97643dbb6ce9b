"""`/metrics` read by Prometheus's own parser (prometheus_client) after calls a caller
controls: made-up method names with quotes, backslashes and many distinct names, all
refused UNAUTHENTICATED by a server with tokens."""

import os
import pathlib
import subprocess
import tempfile
import urllib.request

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

TOKEN = "metrics-test-token-0123456789"


@pytest.fixture(scope="module")
def server():
    binary = os.environ.get("FLUIDITY_BIN", "fluidity")
    folder = pathlib.Path(tempfile.mkdtemp(prefix="fluidity-metrics-"))
    tokens = folder / "tokens"
    tokens.write_text(f"tester:{TOKEN}\n")
    process = subprocess.Popen(
        [binary, "serve", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0",
         "--auth-tokens", str(tokens)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    address = process.stdout.readline().strip().removeprefix("listening on ")
    metrics = process.stdout.readline().strip().removeprefix("metrics on ")
    yield address, metrics
    process.terminate()
    process.wait(timeout=10)


def scrape(metrics):
    with urllib.request.urlopen(f"http://{metrics}/metrics?scrape=1", timeout=10) as r:
        assert r.status == 200
        return r.read().decode()


def test_made_up_method_names_leave_the_exposition_parseable_and_bounded(server):
    address, metrics = server
    channel = grpc.insecure_channel(address)
    names = ['/svc/b\\', '/svc/a"b', '/x\\y/"z', "/fluidity.v1.FluidityService/Nope"]
    names += [f"/made.up.Service{k}/Method{k}" for k in range(300)]
    for name in names:
        call = channel.unary_unary(name)
        with pytest.raises(grpc.RpcError) as refused:
            call(b"", timeout=10)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    channel.close()
    text = scrape(metrics)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    calls = families["fluidity_calls"].samples
    methods = {s.labels["method"] for s in calls}
    assert methods == {"unknown"}, methods
    unknown = [s for s in calls if s.name == "fluidity_calls_total"]
    assert len(unknown) == 1 and unknown[0].value == len(names)


def test_head_and_keep_alive_are_served(server):
    _, metrics = server
    import http.client

    connection = http.client.HTTPConnection(metrics, timeout=10)
    connection.request("HEAD", "/metrics")
    head = connection.getresponse()
    head.read()
    assert head.status == 200 and int(head.getheader("content-length")) > 0
    # The same connection serves the next request.
    connection.request("GET", "/metrics")
    got = connection.getresponse()
    assert got.status == 200 and b"fluidity_queue_depth" in got.read()
    connection.request("GET", "/nothing")
    missing = connection.getresponse()
    missing.read()
    assert missing.status == 404
    connection.close()
