"""Fixtures for the Python client tests: stubs generated from proto/ at test time,
and the address of a running `fluidity serve` (started by .ci/run)."""

import json
import os
import pathlib
import subprocess
import sys
import tempfile

import grpc
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def pb():
    """The generated fluidity_pb2 / fluidity_pb2_grpc modules."""
    from grpc_tools import protoc

    out = tempfile.mkdtemp(prefix="fluidity-stubs-")
    code = protoc.main(
        [
            "protoc",
            f"-I{ROOT / 'proto'}",
            f"--python_out={out}",
            f"--grpc_python_out={out}",
            str(ROOT / "proto" / "fluidity" / "v1" / "fluidity.proto"),
            str(ROOT / "proto" / "fluidity" / "v1" / "lifecycle.proto"),
        ]
    )
    assert code == 0, "grpc_tools.protoc failed"
    sys.path.insert(0, out)
    from fluidity.v1 import fluidity_pb2, fluidity_pb2_grpc

    return fluidity_pb2, fluidity_pb2_grpc


@pytest.fixture(scope="session")
def lifecycle_pb(pb):
    """The generated lifecycle_pb2 / lifecycle_pb2_grpc modules."""
    from fluidity.v1 import lifecycle_pb2, lifecycle_pb2_grpc

    return lifecycle_pb2, lifecycle_pb2_grpc


@pytest.fixture(scope="session")
def address():
    value = os.environ.get("FLUIDITY_ADDR")
    if not value:
        pytest.fail("set FLUIDITY_ADDR to a running `fluidity serve` (host:port)")
    return value


@pytest.fixture(scope="session")
def channel(address):
    ch = grpc.insecure_channel(address)
    grpc.channel_ready_future(ch).result(timeout=10)
    yield ch
    ch.close()


@pytest.fixture(scope="session")
def stub(pb, channel):
    return pb[1].FluidityServiceStub(channel)


def example_text(name):
    return (ROOT / "examples" / name).read_text()


@pytest.fixture(scope="session")
def scenario(pb):
    """An example file parsed by protobuf's own JSON parser into a Scenario."""
    from google.protobuf import json_format

    def load(name):
        return json_format.Parse(example_text(name), pb[0].Scenario())

    return load


@pytest.fixture(scope="session")
def in_process():
    """The plan JSON the CLI solves in-process, for comparing numbers."""
    binary = os.environ.get("FLUIDITY_BIN", "fluidity")

    def plan(name):
        out = subprocess.run(
            [binary, "plan", str(ROOT / "examples" / name), "--format", "json"],
            capture_output=True,
            check=False,
        )
        assert out.returncode in (0, 3), out.stderr
        return json.loads(out.stdout)

    return plan
