"""A client from another ecosystem: Python grpcio against `fluidity serve`."""

import grpc
import pytest
from google.protobuf import json_format
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from grpc_status import rpc_status


def test_health_reports_serving(channel):
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "fluidity.v1.FluidityService"):
        answer = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_every_service(channel):
    services = set(ProtoReflectionDescriptorDatabase(channel).get_services())
    assert {
        "fluidity.v1.FluidityService",
        "grpc.health.v1.Health",
    } <= services


def test_plan_returns_the_numbers_of_an_in_process_solve(pb, stub, scenario, in_process):
    fluidity_pb2 = pb[0]
    answer = stub.Plan(
        fluidity_pb2.PlanRequest(id="py-1", scenario=scenario("tiered.json")), timeout=30
    )
    assert answer.id == "py-1"
    plan = answer.plan
    expected = in_process("tiered.json")
    assert plan.status == fluidity_pb2.OPTIMAL
    assert plan.objective == pytest.approx(expected["objective"], rel=1e-12)
    assert plan.solver.stages == 3
    for got, want in zip(plan.initiatives, expected["initiatives"]):
        assert got.id == want["id"]
        assert list(got.activity) == pytest.approx(want["activity"], rel=1e-12, abs=1e-12)
    # The protobuf JSON of the answer uses the same field names as the CLI's output.
    as_json = json_format.MessageToDict(plan, always_print_fields_with_no_presence=True)
    assert set(as_json) == set(expected)


def test_an_infeasible_scenario_is_answered_with_a_diagnosis(pb, stub, scenario):
    answer = stub.Plan(pb[0].PlanRequest(id="inf", scenario=scenario("infeasible.json")), timeout=30)
    assert answer.plan.status == pb[0].INFEASIBLE
    assert [d.constraint for d in answer.plan.diagnosis] == ["capacity[eng@dec]"]


def test_validate_lists_field_violations(pb, stub, scenario):
    bad = scenario("tiered.json")
    bad.resources[0].capacity[0] = float("nan")
    bad.initiatives[1].requirements["ghost"] = 1.0
    answer = stub.Validate(pb[0].ValidateRequest(scenario=bad), timeout=10)
    assert not answer.valid
    assert [v.field for v in answer.violations] == [
        "resources[0].capacity[0]",
        "initiatives[1].requirements.ghost",
    ]


def test_an_invalid_plan_is_invalid_argument_with_bad_request_details(pb, stub, scenario):
    bad = scenario("tiered.json")
    bad.periods[0].weight = -1
    with pytest.raises(grpc.RpcError) as caught:
        stub.Plan(pb[0].PlanRequest(id="bad", scenario=bad), timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(caught.value)
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    assert [v.field for v in bad_request.field_violations] == ["periods[0].weight"]


def test_plan_stream_answers_every_request_by_id(pb, stub, scenario):
    fluidity_pb2 = pb[0]
    empty = fluidity_pb2.Scenario()
    requests = [
        fluidity_pb2.PlanRequest(id="a", scenario=scenario("portfolio.json")),
        fluidity_pb2.PlanRequest(id="b", scenario=empty),
        fluidity_pb2.PlanRequest(id="c", scenario=scenario("tiered.json")),
    ]
    answers = {a.id: a for a in stub.PlanStream(iter(requests), timeout=60)}
    assert set(answers) == {"a", "b", "c"}
    assert answers["a"].plan.status == fluidity_pb2.OPTIMAL
    assert answers["c"].plan.solver.stages == 3
    assert answers["b"].error.code == "INVALID_ARGUMENT"
    assert {v.field for v in answers["b"].error.violations} == {"periods", "resources"}


def test_garbage_bytes_are_invalid_argument_and_the_server_stays_up(channel, pb, stub, scenario):
    raw = channel.unary_unary(
        "/fluidity.v1.FluidityService/Plan",
        request_serializer=lambda b: b,
        response_deserializer=lambda b: b,
    )
    with pytest.raises(grpc.RpcError) as caught:
        raw(b"\xff\xff\xff\xff\x0f garbage", timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    answer = stub.Plan(pb[0].PlanRequest(id="after", scenario=scenario("tiered.json")), timeout=30)
    assert answer.plan.status == pb[0].OPTIMAL


def finance_scenario(pb, name):
    from conftest import ROOT

    return json_format.Parse((ROOT / "examples" / "finance" / name).read_text(), pb[0].Scenario())


def test_compare_reports_deltas_and_the_cost_of_a_new_priority(pb, stub):
    fluidity_pb2 = pb[0]
    from conftest import ROOT

    variants = json_format.Parse(
        (ROOT / "examples" / "finance" / "q4-portfolio.what-ifs.variants.json").read_text(), fluidity_pb2.CompareRequest()
    ).variants
    request = fluidity_pb2.CompareRequest(base=finance_scenario(pb, "q4-portfolio.json"), variants=variants)
    comparison = stub.Compare(request, timeout=120).comparison
    assert [v.name for v in comparison.variants] == ["capital -10%", "15% eng reserve", "add AI assistant"]
    for v in comparison.variants:
        assert v.delta_objective == pytest.approx(v.plan.objective - comparison.base.objective, abs=1e-9)
    assert comparison.variants[0].delta_objective < 0  # less capital never helps
    cost = comparison.variants[2].priority_cost
    assert list(cost.added) == ["ai-assistant"]
    assert cost.added_value > 0 and len(cost.displaced) > 0
    assert cost.value_given_up == pytest.approx(sum(d.value_lost for d in cost.displaced))


def test_sweep_returns_one_point_per_factor_and_the_price_ranges(pb, stub):
    fluidity_pb2 = pb[0]
    request = fluidity_pb2.SweepRequest(
        base=finance_scenario(pb, "q4-portfolio.json"),
        resource="capital",
        parameter=fluidity_pb2.CAPACITY_FACTOR,
        values=[0.9, 1.0, 1.1],
    )
    sweep = stub.Sweep(request, timeout=120).sweep
    assert [p.at for p in sweep.points] == [0.9, 1.0, 1.1]
    objectives = [p.objective for p in sweep.points]
    assert objectives == sorted(objectives)  # more capital never hurts
    assert len(sweep.ranges) == 4 * 3  # every resource and period


def test_reflection_describes_the_service_and_what_it_imports(channel):
    from google.protobuf.descriptor_pool import DescriptorPool

    pool = DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
    service = pool.FindServiceByName("fluidity.v1.FluidityService")
    assert {"Plan", "PlanStream", "Validate"} <= {m.name for m in service.methods}
    scenario = pool.FindMessageTypeByName("fluidity.v1.Scenario")
    assert "resources" in scenario.fields_by_name


def test_explain_gives_flips_and_forced_costs_a_replan_confirms(pb, stub, scenario):
    fluidity_pb2 = pb[0]
    tiered = scenario("tiered.json")
    answer = stub.Explain(
        fluidity_pb2.ExplainRequest(scenario=tiered, initiatives=["self-serve-signup"]), timeout=60
    ).explanation
    assert answer.status == fluidity_pb2.OPTIMAL
    (explained,) = answer.initiatives
    assert explained.change == fluidity_pb2.SHRINK
    (flip,) = explained.flips
    assert flip.direction == fluidity_pb2.MORE and not flip.never
    assert explained.forced.decision == fluidity_pb2.KEEP_CURRENT
    # Re-plan just above the factor: the plan gives it more at the end of the quarter.
    above = fluidity_pb2.Scenario()
    above.CopyFrom(tiered)
    for initiative in above.initiatives:
        if initiative.id == "self-serve-signup":
            for segment in initiative.value:
                segment.per_unit *= flip.factor * (1 + 1e-4)
    replanned = stub.Plan(fluidity_pb2.PlanRequest(id="above", scenario=above), timeout=30).plan
    end = {i.id: i.activity[-1] for i in replanned.initiatives}["self-serve-signup"]
    assert end > explained.end + 1e-6 * max(1.0, explained.end)


def test_explain_names_an_unknown_initiative_in_bad_request_details(pb, stub, scenario):
    with pytest.raises(grpc.RpcError) as caught:
        stub.Explain(
            pb[0].ExplainRequest(scenario=scenario("tiered.json"), initiatives=["ghost"]), timeout=30
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(caught.value)
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    assert [v.field for v in bad_request.field_violations] == ["initiatives[0]"]
