"""The plan lifecycle from Python: a planning tool saves, approves (with a token of
the approver role), records actuals, and reads alerts and the audit trail; the
shared server without a store answers FAILED_PRECONDITION."""

import os
import subprocess
import tempfile

import grpc
import pytest

PLANNER = "ann-token-0123456789abcdef"
APPROVER = "bob-token-0123456789abcdef"


@pytest.fixture(scope="module")
def lifecycle_server():
    folder = tempfile.mkdtemp(prefix="fluidity-py-lifecycle-")
    tokens = os.path.join(folder, "tokens")
    with open(tokens, "w") as f:
        f.write(f"ann:{PLANNER}\nbob:approver:{APPROVER}\n")
    binary = os.environ.get("FLUIDITY_BIN", "fluidity")
    proc = subprocess.Popen(
        [binary, "serve", "--addr", "127.0.0.1:0", "--store",
         f"sqlite:{os.path.join(folder, 'store.db')}", "--auth-tokens", tokens],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    line = proc.stdout.readline()
    assert line.startswith("listening on "), line
    yield line.split()[-1]
    proc.terminate()
    proc.wait(timeout=30)


def call(address, token):
    channel = grpc.insecure_channel(address)
    grpc.channel_ready_future(channel).result(timeout=10)
    return channel, (("authorization", f"Bearer {token}"),)


def test_a_server_without_a_store_says_so(lifecycle_pb, channel):
    stub = lifecycle_pb[1].PlanLifecycleServiceStub(channel)
    with pytest.raises(grpc.RpcError) as e:
        stub.ListPlans(lifecycle_pb[0].ListPlansRequest(), timeout=10)
    assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "--store" in e.value.details()


def test_save_approve_record_and_audit(lifecycle_pb, scenario, lifecycle_server):
    pb, grpc_pb = lifecycle_pb
    channel, planner = call(lifecycle_server, PLANNER)
    _, approver = call(lifecycle_server, APPROVER)
    stub = grpc_pb.PlanLifecycleServiceStub(channel)
    saved = stub.SavePlan(
        pb.SavePlanRequest(portfolio="q4-2026", scenario=scenario("portfolio.json"),
                           idempotency_key="py-1"),
        metadata=planner, timeout=60,
    )
    again = stub.SavePlan(
        pb.SavePlanRequest(portfolio="q4-2026", scenario=scenario("portfolio.json"),
                           idempotency_key="py-1"),
        metadata=planner, timeout=60,
    )
    assert again.id == saved.id and again.already_saved
    with pytest.raises(grpc.RpcError) as e:
        stub.ApprovePlan(pb.ApprovePlanRequest(id=saved.id, comment="mine"), metadata=planner, timeout=10)
    assert e.value.code() == grpc.StatusCode.PERMISSION_DENIED
    approved = stub.ApprovePlan(pb.ApprovePlanRequest(id=saved.id, comment="agreed"),
                                metadata=approver, timeout=10)
    assert approved.record.state == pb.APPROVED
    assert approved.record.approval.approved_by == "bob"
    assert len(approved.record.approval.changes) > 0
    first = approved.record.plan.initiatives[0]
    recorded = stub.RecordActuals(
        pb.RecordActualsRequest(portfolio="q4-2026", actuals=[
            pb.Actual(initiative=first.id, period="oct", activity=first.activity[0])]),
        metadata=planner, timeout=10,
    )
    assert recorded.execution.initiatives[0].recorded
    with pytest.raises(grpc.RpcError) as e:
        stub.RecordActuals(
            pb.RecordActualsRequest(portfolio="q4-2026", actuals=[
                pb.Actual(initiative="nobody", period="oct", activity=1)]),
            metadata=planner, timeout=10,
        )
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "actuals[0].initiative" in e.value.details()
    verified = stub.VerifyAudit(pb.VerifyAuditRequest(), metadata=planner, timeout=10)
    assert verified.first_broken_seq == 0 and verified.entries >= 3 and len(verified.last_hash) == 64
