"""StateManager against the fake Graphs service, and the SDK's graph models."""

import asyncio
import unittest
import warnings

import grpc
from pydantic import ValidationError

from exosphere_sidecar import (
    CronTrigger,
    GraphNodeModel,
    RetryPolicyModel,
    RetryStrategyEnum,
    SidecarError,
    StateManager,
    StoreConfigModel,
    UnitesModel,
    UnitesStrategyEnum,
    _config,
)
from exosphere_sidecar.v1 import graphs_pb2 as pb
from fake_sidecar import FakeSidecar


def stored_graph(request: pb.UpsertGraphRequest, status: int, errors=()) -> pb.Graph:
    return pb.Graph(namespace=request.namespace, graph_name=request.graph_name,
                    nodes=request.nodes, secret_names=sorted(request.secrets),
                    retry_policy=request.retry_policy, store_config=request.store_config,
                    triggers=request.triggers, validation_status=status,
                    validation_errors=list(errors), created_at="2025-01-02T03:04:05",
                    updated_at="2025-01-02T03:04:05.123000")


NODES = [
    GraphNodeModel(node_name=" Fetch ", namespace="ns", identifier=" fetch ",
                   inputs={"url": "${{ store.url }}"}, next_nodes=[" parse "]),
    GraphNodeModel(node_name="Parse", namespace="ns", identifier="parse",
                   inputs={"page": "${{ fetch.outputs.page }}"},
                   unites=UnitesModel(identifier=" fetch ", strategy=UnitesStrategyEnum.ALL_DONE)),
]
NODE_DICTS = [
    {"node_name": " Fetch ", "namespace": "ns", "identifier": " fetch ",
     "inputs": {"url": "${{ store.url }}"}, "next_nodes": [" parse "]},
    {"node_name": "Parse", "namespace": "ns", "identifier": "parse",
     "inputs": {"page": "${{ fetch.outputs.page }}"},
     "unites": {"identifier": " fetch ", "strategy": "ALL_DONE"}},
]


class ModelsTest(unittest.TestCase):
    def assert_invalid(self, model, fields, *messages):
        with self.assertRaises(ValidationError) as caught:
            model(**fields)
        for message in messages:
            self.assertIn(message, str(caught.exception))

    def test_graph_node_validators_trim_and_reject_like_the_sdk(self):
        node = NODES[0]
        self.assertEqual((node.node_name, node.identifier, node.next_nodes),
                         ("Fetch", "fetch", ["parse"]))
        self.assertEqual(NODES[1].unites.identifier, "fetch")
        base = {"node_name": "N", "namespace": "ns", "identifier": "n", "inputs": {}}
        self.assert_invalid(GraphNodeModel, {**base, "node_name": "  "}, "Node name cannot be empty")
        self.assert_invalid(GraphNodeModel, {**base, "identifier": ""},
                            "Node identifier cannot be empty")
        self.assert_invalid(GraphNodeModel, {**base, "identifier": " store "},
                            "Node identifier cannot be reserved word 'store'")
        self.assert_invalid(GraphNodeModel, {**base, "next_nodes": ["a", " ", "a "]},
                            "Next node identifier cannot be empty",
                            "Next node identifier a is not unique")
        self.assert_invalid(GraphNodeModel, {**base, "unites": {"identifier": " "}},
                            "Unites identifier cannot be empty")

    def test_store_config_and_retry_policy_rules(self):
        config = StoreConfigModel(required_keys=[" cursor "], default_values={" size ": "10"})
        self.assertEqual((config.required_keys, config.default_values),
                         (["cursor"], {"size": "10"}))
        self.assert_invalid(StoreConfigModel, {"required_keys": ["a.b", "c", " c", ""]},
                            "Key 'a.b' cannot contain '.' character", "Key 'c' is duplicated",
                            "Key cannot be empty or contain only whitespace")
        self.assert_invalid(StoreConfigModel, {"default_values": {"x.y": "1"}},
                            "Key 'x.y' cannot contain '.' character")
        policy = RetryPolicyModel()
        self.assertEqual((policy.max_retries, policy.strategy, policy.backoff_factor,
                          policy.exponent, policy.max_delay),
                         (3, RetryStrategyEnum.EXPONENTIAL, 2000, 2, None))
        for field in ({"max_retries": -1}, {"backoff_factor": 0}, {"exponent": 0},
                      {"max_delay": 0}):
            self.assert_invalid(RetryPolicyModel, field)


class StateManagerTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.fake = FakeSidecar()
        await self.fake.start()
        self.addAsyncCleanup(self.fake.close)
        self.manager = StateManager("ns", sidecar_address=self.fake.address,
                                    worker_token="secret-token")

    def handle(self, method, handler):
        self.fake.graphs.handlers[method] = handler

    async def test_upsert_graph_sends_models_and_returns_the_valid_graph(self):
        async def upsert(request, context):
            return stored_graph(request, pb.VALIDATION_STATUS_VALID)

        self.handle("UpsertGraph", upsert)
        graph = await self.manager.upsert_graph(
            "crawl", NODES, {"api_key": "k"},
            retry_policy=RetryPolicyModel(max_retries=2, strategy=RetryStrategyEnum.FIXED,
                                          backoff_factor=100, max_delay=500),
            store_config=StoreConfigModel(required_keys=["url"], default_values={"d": "1"}),
            triggers=[CronTrigger(expression="0 9 * * 1-5")], validation_timeout=2.5)
        request = self.fake.graphs.requests[0]
        self.assertEqual(self.fake.graphs.metadata[0]["x-exosphere-worker-token"], "secret-token")
        self.assertEqual((request.namespace, request.graph_name, request.validation_timeout_ms),
                         ("ns", "crawl", 2500))
        self.assertEqual(dict(request.secrets), {"api_key": "k"})
        self.assertEqual([(n.node_name, n.identifier, list(n.next_nodes)) for n in request.nodes],
                         [("Fetch", "fetch", ["parse"]), ("Parse", "parse", [])])
        self.assertEqual(request.nodes[1].unites.strategy, pb.UNITES_STRATEGY_ALL_DONE)
        self.assertEqual(request.retry_policy.strategy, pb.RETRY_STRATEGY_FIXED)
        self.assertEqual((request.retry_policy.max_retries, request.retry_policy.backoff_factor_ms,
                          request.retry_policy.exponent, request.retry_policy.max_delay_ms),
                         (2, 100, 2, 500))
        self.assertEqual([t.expression for t in request.triggers], ["0 9 * * 1-5"])
        self.assertEqual(graph, {
            "name": "crawl",
            "namespace": "ns",
            "nodes": [
                {"node_name": "Fetch", "namespace": "ns", "identifier": "fetch",
                 "inputs": {"url": "${{ store.url }}"}, "next_nodes": ["parse"], "unites": None},
                {"node_name": "Parse", "namespace": "ns", "identifier": "parse",
                 "inputs": {"page": "${{ fetch.outputs.page }}"}, "next_nodes": [],
                 "unites": {"identifier": "fetch", "strategy": "ALL_DONE"}},
            ],
            "secrets": {"api_key": True},
            "retry_policy": {"max_retries": 2, "strategy": "FIXED", "backoff_factor": 100,
                             "exponent": 2, "max_delay": 500},
            "store_config": {"required_keys": ["url"], "default_values": {"d": "1"}},
            "triggers": [{"type": "CRON", "value": {"expression": "0 9 * * 1-5"}}],
            "validation_status": "VALID",
            "validation_errors": [],
            "created_at": "2025-01-02T03:04:05",
            "updated_at": "2025-01-02T03:04:05.123000",
        })

    async def test_dicts_are_accepted_in_place_of_models(self):
        async def upsert(request, context):
            return stored_graph(request, pb.VALIDATION_STATUS_VALID)

        self.handle("UpsertGraph", upsert)
        await self.manager.upsert_graph("g", NODES, {}, RetryPolicyModel(), StoreConfigModel(),
                                        [CronTrigger(expression="* * * * *")])
        await self.manager.upsert_graph(
            "g", NODE_DICTS, {}, {}, {},
            [{"type": "CRON", "value": {"expression": "* * * * *"}}])
        from_models, from_dicts = self.fake.graphs.requests
        self.assertEqual(from_models, from_dicts)
        with self.assertRaises(ValidationError):
            await self.manager.upsert_graph("g", [{**NODE_DICTS[0], "identifier": "store"}], {})
        with self.assertRaisesRegex(TypeError, "not"):
            await self.manager.upsert_graph("g", [{**NODE_DICTS[0], "inputs": {"n": 1}}], {})
        self.assertEqual(len(self.fake.graphs.requests), 2)

    async def test_graph_without_policy_reads_back_the_state_manager_defaults(self):
        async def get(request, context):
            return pb.Graph(namespace="ns", graph_name=request.graph_name,
                            validation_status=pb.VALIDATION_STATUS_PENDING)

        self.handle("GetGraph", get)
        graph = await self.manager.get_graph("g")
        self.assertEqual(graph["retry_policy"], {"max_retries": 3, "strategy": "EXPONENTIAL",
                                                 "backoff_factor": 2000, "exponent": 2,
                                                 "max_delay": None})
        self.assertEqual(graph["store_config"], {"required_keys": [], "default_values": {}})
        self.assertEqual(graph["validation_status"], "PENDING")

    async def test_invalid_graph_raises_the_sdk_message(self):
        async def upsert(request, context):
            return stored_graph(request, pb.VALIDATION_STATUS_INVALID,
                                ["Node Fetch in namespace ns does not exist.", "Secret k is "
                                 "required but not present in the graph template"])

        self.handle("UpsertGraph", upsert)
        with self.assertRaises(SidecarError) as caught:
            await self.manager.upsert_graph("g", NODES, {})
        self.assertEqual(str(caught.exception),
                         "Graph validation failed: INVALID and errors: ['Node Fetch in namespace "
                         "ns does not exist.', 'Secret k is required but not present in the "
                         "graph template']")

    async def test_validation_timeout_keeps_the_sdk_message(self):
        async def upsert(request, context):
            await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED,
                                "Graph validation check timed out after 1 seconds")

        self.handle("UpsertGraph", upsert)
        with self.assertRaises(SidecarError) as caught:
            await self.manager.upsert_graph("g", NODES, {}, validation_timeout=1)
        self.assertEqual(str(caught.exception), "Graph validation check timed out after 1 seconds")
        self.assertEqual(caught.exception.code, grpc.StatusCode.DEADLINE_EXCEEDED)

    async def test_structure_errors_and_trigger_errors_name_the_operation_and_code(self):
        async def upsert(request, context):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "Error validating graph template")

        async def trigger(request, context):
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "Graph template is not valid")

        async def get(request, context):
            await context.abort(grpc.StatusCode.NOT_FOUND, "Graph template g not found")

        self.handle("UpsertGraph", upsert)
        self.handle("TriggerRun", trigger)
        self.handle("GetGraph", get)
        with self.assertRaisesRegex(SidecarError, "^Failed to upsert graph: INVALID_ARGUMENT "
                                                  "Error validating graph template$"):
            await self.manager.upsert_graph("g", NODES, {})
        with self.assertRaisesRegex(SidecarError, "^Failed to trigger state: FAILED_PRECONDITION "
                                                  "Graph template is not valid$"):
            await self.manager.trigger("g")
        with self.assertRaises(SidecarError) as caught:
            await self.manager.get_graph("g")
        self.assertEqual(caught.exception.code, grpc.StatusCode.NOT_FOUND)
        self.assertEqual(caught.exception.details, "Graph template g not found")

    async def test_trigger_sends_inputs_store_and_delay(self):
        async def trigger(request, context):
            return pb.TriggerRunResponse(run_id="run-1")

        self.handle("TriggerRun", trigger)
        result = await self.manager.trigger("g", inputs={"a": "1"}, store={"s": "2"},
                                            start_delay=1500)
        self.assertEqual(result, {"status": "CREATED", "run_id": "run-1"})
        request = self.fake.graphs.requests[0]
        self.assertEqual((request.graph_name, dict(request.inputs), dict(request.store),
                          request.start_delay_ms), ("g", {"a": "1"}, {"s": "2"}, 1500))
        self.assertEqual(await self.manager.trigger("g"), {"status": "CREATED", "run_id": "run-1"})
        with self.assertRaisesRegex(TypeError, "store must map str to str"):
            await self.manager.trigger("g", store={"n": 1})
        with self.assertRaises(ValueError):
            await self.manager.trigger("g", start_delay=-1)

    async def test_runs_and_states(self):
        states = pb.RunStates(run_id="r", graph_name="g", status=pb.RUN_STATUS_FAILED, states=[
            pb.RunState(state_id="s1", node_name="A", identifier="a",
                        status=pb.STATE_STATUS_SUCCESS, outputs={"x": "1"}),
            pb.RunState(state_id="s2", node_name="B", identifier="b",
                        status=pb.STATE_STATUS_ERRORED, error="boom", inputs={"x": "1"},
                        parents=[pb.Parent(identifier="a", state_id="s1")]),
        ])

        async def wait(request, context):
            return states

        async def get_states(request, context):
            return states

        async def list_runs(request, context):
            return pb.ListRunsResponse(total=7, runs=[pb.Run(
                run_id="r", graph_name="g", status=pb.RUN_STATUS_PENDING, pending_count=1,
                total_count=1, created_at="2025-01-01T00:00:00")])

        self.handle("WaitForRun", wait)
        self.handle("GetRunStates", get_states)
        self.handle("ListRuns", list_runs)
        run = await self.manager.wait_for_run("r", timeout=2)
        self.assertEqual(self.fake.graphs.requests[0].timeout_ms, 2000)
        self.assertEqual(run["status"], "FAILED")
        self.assertEqual(run["states"][1], {
            "state_id": "s2", "node_name": "B", "identifier": "b", "status": "ERRORED",
            "error": "boom", "inputs": {"x": "1"}, "outputs": {}, "parents": {"a": "s1"},
            "created_at": "", "updated_at": ""})
        self.assertIsNone(run["states"][0]["error"])
        self.assertEqual(await self.manager.get_run_states("r", include_details=True), run)
        self.assertTrue(self.fake.graphs.requests[1].include_details)
        runs = await self.manager.list_runs(page=2, page_size=5)
        self.assertEqual((self.fake.graphs.requests[2].page, self.fake.graphs.requests[2].page_size),
                         (2, 5))
        self.assertEqual(runs, {"namespace": "ns", "total": 7, "page": 2, "size": 5, "runs": [{
            "run_id": "r", "graph_name": "g", "success_count": 0, "pending_count": 1,
            "errored_count": 0, "retried_count": 0, "total_count": 1, "status": "PENDING",
            "created_at": "2025-01-01T00:00:00"}]})

    async def test_unreachable_sidecar_is_unavailable(self):
        await self.fake.stop()
        with self.assertRaises(SidecarError) as caught:
            await self.manager.trigger("g")
        self.assertEqual(caught.exception.code, grpc.StatusCode.UNAVAILABLE)
        self.assertTrue(str(caught.exception).startswith("Failed to trigger state: UNAVAILABLE"))


class StateManagerOutsideALoopTest(unittest.TestCase):
    def test_one_manager_serves_several_event_loops_and_warns_about_rest_parameters(self):
        fake = FakeSidecar()
        self.addCleanup(fake.cleanup)
        _config._warned.clear()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            StateManager("ns", state_manager_version="v0", sidecar_address=fake.address)
            self.assertEqual(caught, [])  # the SDK's default version is no warning
            manager = StateManager("ns", "http://sm", "key", "v1", sidecar_address=fake.address)
        self.assertEqual(sorted(str(warning.message).split("'")[1] for warning in caught),
                         ["key", "state_manager_uri", "state_manager_version"])

        async def trigger(request, context):
            return pb.TriggerRunResponse(run_id=f"run-{len(fake.graphs.requests)}")

        fake.graphs.handlers["TriggerRun"] = trigger

        async def one_run():
            # The fake server lives in this event loop only, like the manager's channel.
            await fake.start()
            try:
                return await manager.trigger("g")
            finally:
                await fake.stop()

        self.assertEqual(asyncio.run(one_run())["run_id"], "run-1")
        self.assertEqual(asyncio.run(one_run())["run_id"], "run-2")


if __name__ == "__main__":
    unittest.main()
