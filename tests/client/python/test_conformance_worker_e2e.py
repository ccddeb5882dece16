"""The Python conformance worker (examples/python/conformance_worker.py) runs the conformance
graph of tests/conformance/README.md to the expected final states, alone and split over two
worker processes that share the marker directory."""

import asyncio
import collections
import os
import unittest

from pydantic import BaseModel

from exosphere_sidecar import (
    BaseNode,
    GraphNodeModel,
    RetryPolicyModel,
    RetryStrategyEnum,
    Runtime,
    StateManager,
    StoreConfigModel,
    UnitesModel,
    UnitesStrategyEnum,
)
from e2e_support import RUN_TIMEOUT, STARTUP_TIMEOUT, E2EStack

NAMESPACE = "conformance"
STORE = {"text": " alpha, flaky, skip, later, beta ", "suffix": "!"}
GRAPH = [
    GraphNodeModel(node_name="cf_start", namespace=NAMESPACE, identifier="start",
                   inputs={"text": "${{ store.text }}"}, next_nodes=["split"]),
    GraphNodeModel(node_name="cf_split", namespace=NAMESPACE, identifier="split",
                   inputs={"text": "${{ start.outputs.text }}"}, next_nodes=["transform"]),
    GraphNodeModel(node_name="cf_transform", namespace=NAMESPACE, identifier="transform",
                   inputs={"item": "${{ split.outputs.item }}", "suffix": "${{ store.suffix }}"},
                   next_nodes=["collect"]),
    GraphNodeModel(node_name="cf_collect", namespace=NAMESPACE, identifier="collect",
                   inputs={"text": "${{ start.outputs.text }}", "suffix": "${{ store.suffix }}"},
                   unites=UnitesModel(identifier="start", strategy=UnitesStrategyEnum.ALL_DONE)),
]
TEXT = "alpha, flaky, skip, later, beta"
# (identifier, status, outputs, error) of every final state, in any order.
EXPECTED = collections.Counter([
    ("start", "SUCCESS", (("text", TEXT),), None),
    *[("split", "SUCCESS", (("item", item),), None)
      for item in ("alpha", "flaky", "skip", "later", "beta")],
    *[("transform", "SUCCESS", (("value", value),), None)
      for value in ("ALPHA!/6", "BETA!/6", "LATER!/6", "FLAKY!/6")],
    ("transform", "RETRY_CREATED", (), "transient failure"),
    ("transform", "PRUNED", (), None),
    ("collect", "SUCCESS", (("summary", TEXT + "!"),), None),
])


class ConformanceWorkerTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.stack = E2EStack()
        self.addAsyncCleanup(self.stack.close)
        await self.stack.start_sidecar()
        self.markers = os.path.join(self.stack.dir, "markers")
        os.mkdir(self.markers)

    async def start_worker(self, name, nodes=None, pythonpath=True):
        env = {"CONFORMANCE_MARKER_DIR": self.markers}
        if nodes is not None:
            env["CONFORMANCE_NODES"] = nodes
        worker = await self.stack.start_worker(name, "conformance_worker.py",
                                               pythonpath=pythonpath, **env)
        await worker.wait_for_line("ready", "stdout")
        self.assertEqual(worker.lines["stdout"], ["ready"])
        return worker

    async def run_conformance_graph(self, workers):
        manager = StateManager(NAMESPACE, sidecar_address=self.stack.address)
        await manager.upsert_graph(
            "conformance", GRAPH, {"salt": "pepper"},
            retry_policy=RetryPolicyModel(strategy=RetryStrategyEnum.FIXED, backoff_factor=100,
                                          max_retries=2),
            store_config=StoreConfigModel(required_keys=["text", "suffix"]))
        run = await manager.trigger("conformance", store=STORE)
        try:
            result = await manager.wait_for_run(run["run_id"], timeout=RUN_TIMEOUT)
        except Exception as error:
            logs = "\n".join(worker.describe() for worker in workers)
            raise AssertionError(f"{error}\n{logs}") from error
        final = collections.Counter(
            (state["identifier"], state["status"], tuple(sorted(state["outputs"].items())),
             state["error"])
            for state in result["states"])
        self.assertEqual(final, EXPECTED)
        self.assertEqual(sorted(os.listdir(self.markers)), ["flaky", "later"])
        for worker in workers:
            self.assertEqual(await worker.terminate(), 0, worker.describe())

    async def test_one_worker_serves_every_node(self):
        # Started like the cross-language harness does: no PYTHONPATH, the worker finds the
        # package in the repository.
        worker = await self.start_worker("conformance-python", pythonpath=False)
        await self.run_conformance_graph([worker])

    async def test_nodes_split_over_two_workers_sharing_the_markers(self):
        everything = await self.start_worker("conformance-python-all")
        second = await self.start_worker("conformance-python-transform",
                                         "cf_transform, cf_collect")
        await self.run_conformance_graph([everything, second])


class ConformanceWorkerLifecycleTest(unittest.IsolatedAsyncioTestCase):
    async def test_sigterm_before_the_registration_exits_0_without_ready(self):
        stack = E2EStack()
        self.addAsyncCleanup(stack.close)
        # No sidecar at the address: the worker keeps trying to connect.
        worker = await stack.start_worker("conformance-python", "conformance_worker.py",
                                          CONFORMANCE_MARKER_DIR=stack.dir)
        await worker.wait_for_line("Could not connect to the sidecar")
        self.assertEqual(await worker.terminate(), 0, worker.describe())
        self.assertEqual(worker.lines["stdout"], [])

    async def test_rejected_hello_exits_1_with_the_reason(self):
        stack = E2EStack()
        self.addAsyncCleanup(stack.close)
        await stack.start_sidecar()

        class cf_start(BaseNode):  # noqa: N801 - the node name the worker also serves
            class Inputs(BaseModel):
                text: str

            class Outputs(BaseModel):
                text: str

            async def execute(self):
                return self.Outputs(text=self.inputs.text)

        other = Runtime(NAMESPACE, "another-runtime", [cf_start], sidecar_address=stack.address,
                        handle_signals=False)
        serving = asyncio.ensure_future(other.start_async())

        async def stop_other():
            other.stop(timeout=5)
            await asyncio.gather(serving, return_exceptions=True)

        self.addAsyncCleanup(stop_other)
        await other.wait_until_registered(STARTUP_TIMEOUT)
        worker = await stack.start_worker("conformance-python", "conformance_worker.py",
                                          CONFORMANCE_MARKER_DIR=stack.dir)
        self.assertEqual(await worker.wait(), 1, worker.describe())
        self.assertEqual(worker.lines["stdout"], [])
        self.assertTrue(any(line.startswith("conformance_worker: The sidecar at ")
                            and "another-runtime" in line for line in worker.lines["stderr"]),
                        worker.describe())

if __name__ == "__main__":
    unittest.main()
