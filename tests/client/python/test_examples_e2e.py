"""The examples of examples/python, end to end: each worker runs as its own process against a
real sidecar with an embedded devserver; the test creates a graph for it, runs it and checks the
states; then SIGTERM must stop the worker cleanly."""

import asyncio
import http.server
import json
import threading
import unittest

import grpc
from pydantic import BaseModel

import log_capture
from exosphere_sidecar import (
    BaseNode,
    GraphNodeModel,
    HelloRejectedError,
    RetryPolicyModel,
    Runtime,
    StateManager,
)
from e2e_support import RUN_TIMEOUT, STARTUP_TIMEOUT, E2EStack

REGISTERED = "registered with the state manager"


class ExampleTestCase(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.stack = E2EStack()
        self.addAsyncCleanup(self.stack.close)
        await self.stack.start_sidecar()
        self.manager = StateManager("MyProject", sidecar_address=self.stack.address)

    async def start_example(self, script, *args):
        worker = await self.stack.start_worker(script, script, *args)
        await worker.wait_for_line(REGISTERED)
        return worker

    async def single_node_graph(self, graph, node_name, inputs, **options):
        node = GraphNodeModel(node_name=node_name, namespace="MyProject", identifier="only",
                              inputs=inputs)
        graph_dict = await self.manager.upsert_graph(graph, [node], options.pop("secrets", {}),
                                                     **options)
        self.assertEqual(graph_dict["validation_status"], "VALID")

    async def run_graph(self, graph, worker, **trigger):
        run = await self.manager.trigger(graph, **trigger)
        try:
            return await self.manager.wait_for_run(run["run_id"], timeout=RUN_TIMEOUT)
        except Exception as error:
            raise AssertionError(f"{error}\n{worker.describe()}") from error

    def only_state(self, result):
        self.assertEqual(len(result["states"]), 1, result)
        return result["states"][0]

    async def stop(self, worker):
        self.assertEqual(await worker.terminate(), 0, worker.describe())


class ExamplesTest(ExampleTestCase):
    async def test_sample_node(self):
        worker = await self.start_example("sample_node.py")
        await self.single_node_graph("sample", "SampleNode", {"name": "Ada", "data": "initial"})
        result = await self.run_graph("sample", worker, inputs={"data": "payload"})
        state = self.only_state(result)
        self.assertEqual((result["status"], state["status"]), ("SUCCESS", "SUCCESS"))
        self.assertEqual(state["outputs"], {"message": "success",
                                            "processed_data": "completed:payload"})
        await worker.wait_for_line("Processing data for: Ada", "stdout")
        await self.stop(worker)

    async def test_configurable_node(self):
        worker = await self.start_example("configurable_node.py")
        await self.single_node_graph("configurable", "ConfigurableNode",
                                     {"text": "hello world", "max_length": "5"})
        state = self.only_state(await self.run_graph("configurable", worker))
        self.assertEqual(state["outputs"], {"result": "hello", "length": "5"})
        await self.stop(worker)

    async def test_robust_node_errors_and_the_retry_policy_applies(self):
        worker = await self.start_example("robust_node.py")
        await self.single_node_graph("robust", "RobustNode", {"data": "x"},
                                     retry_policy=RetryPolicyModel(max_retries=1,
                                                                   backoff_factor=10))
        stored = await self.manager.get_graph("robust")
        self.assertEqual(stored["retry_policy"], {"max_retries": 1, "strategy": "EXPONENTIAL",
                                                  "backoff_factor": 10, "exponent": 2,
                                                  "max_delay": None})
        self.assertEqual(stored["nodes"][0]["node_name"], "RobustNode")
        result = await self.run_graph("robust", worker)
        self.assertEqual(result["status"], "FAILED")
        self.assertEqual([(s["status"], s["error"]) for s in result["states"]],
                         [("RETRY_CREATED", "This is a test error"),
                          ("ERRORED", "This is a test error")])
        await self.stop(worker)

    async def test_api_node_gets_its_secrets(self):
        seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's method name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                seen.append((self.path, self.headers["Authorization"], body))
                reply = json.dumps({"answer": "42", "for": body["user_id"]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()

        def shut_down():
            server.shutdown()
            server.server_close()
            thread.join()

        self.addCleanup(shut_down)
        worker = await self.start_example("api_node.py")
        await self.single_node_graph(
            "api", "APINode", {"user_id": "u-7", "query": "meaning"},
            secrets={"api_key": "k-123", "api_endpoint": f"http://127.0.0.1:{server.server_port}",
                     "database_url": "postgres://db"})
        state = self.only_state(await self.run_graph("api", worker))
        self.assertEqual(state["status"], "SUCCESS")
        self.assertEqual(json.loads(state["outputs"]["response"]), {"answer": "42", "for": "u-7"})
        self.assertEqual(state["outputs"]["status"], "success")
        self.assertEqual(seen, [("/process", "Bearer k-123",
                                 {"user_id": "u-7", "query": "meaning"})])
        await self.stop(worker)

    async def test_conditional_node_prunes_requeues_and_succeeds(self):
        worker = await self.start_example("conditional_node.py")
        await self.single_node_graph("conditional", "ConditionalNode",
                                     {"data": "x", "should_retry": "false"})
        processed = self.only_state(await self.run_graph("conditional", worker,
                                                   inputs={"data": "hello"}))
        self.assertEqual((processed["status"], processed["outputs"]),
                         ("SUCCESS", {"result": "Processed: hello"}))
        pruned = await self.run_graph("conditional", worker, inputs={"data": "invalid"})
        self.assertEqual((pruned["status"], self.only_state(pruned)["status"]),
                         ("SUCCESS", "PRUNED"))

        run = await self.manager.trigger("conditional", inputs={"should_retry": "true"})
        await worker.wait_for_line("re-enqueued after 5000 ms")
        # The state is back to CREATED (claimable in 5 s) once the sidecar reported it.
        async def requeued():
            while True:
                states = await self.manager.get_run_states(run["run_id"])
                if states["states"][0]["status"] == "CREATED":
                    return states
                await asyncio.sleep(0.05)

        states = await asyncio.wait_for(requeued(), STARTUP_TIMEOUT)
        self.assertEqual(states["status"], "PENDING")
        await self.stop(worker)

    async def test_greeting_program_runs_its_graph_and_prints_the_greeting(self):
        program = await self.stack.start_worker("greeting.py", "greeting.py", "Exosphere")
        self.assertEqual(await program.wait(timeout=RUN_TIMEOUT), 0, program.describe())
        self.assertEqual(program.lines["stdout"], ["Hello, Exosphere!"])


class Echo(BaseNode):
    class Inputs(BaseModel):
        text: str

    class Outputs(BaseModel):
        text: str

    async def execute(self):
        return self.Outputs(text=self.inputs.text)


class Hang(BaseNode):
    """Runs until cancelled; records the cancellation."""

    cancelled = None

    class Inputs(BaseModel):
        text: str

    class Outputs(BaseModel):
        text: str

    async def execute(self):
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            Hang.cancelled.set()
            raise


class RealSidecarTest(ExampleTestCase):
    """An in-process Runtime against the real sidecar: rejected Hellos, and a sidecar restart."""

    async def asyncSetUp(self):
        await super().asyncSetUp()
        self.logs = log_capture.install()
        self.addCleanup(log_capture.uninstall, self.logs)

    def start_runtime(self, name, **options):
        runtime = Runtime("MyProject", name, [Echo], sidecar_address=self.stack.address,
                          handle_signals=False, initial_backoff=0.05, max_backoff=0.5, **options)
        serving = asyncio.ensure_future(runtime.start_async())

        async def stop():
            runtime.stop(timeout=5)
            await asyncio.gather(serving, return_exceptions=True)

        self.addAsyncCleanup(stop)
        return runtime, serving

    async def test_invalid_hello_makes_start_raise_the_sidecar_message(self):
        runtime, serving = self.start_runtime("not a valid name!")
        with self.assertRaises(HelloRejectedError) as caught:
            await asyncio.wait_for(serving, STARTUP_TIMEOUT)
        self.assertEqual(caught.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("Hello.runtime_name", str(caught.exception))
        await self.logs.wait_for("rejected the Hello of runtime \"not a valid name!\"")

    async def test_node_served_under_another_runtime_name_is_a_failed_precondition(self):
        first, _ = self.start_runtime("first")
        await first.wait_until_registered(STARTUP_TIMEOUT)
        second, serving = self.start_runtime("second")
        with self.assertRaises(HelloRejectedError) as caught:
            await asyncio.wait_for(serving, STARTUP_TIMEOUT)
        self.assertEqual(caught.exception.code, grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("Echo", caught.exception.details)

    async def test_deadline_cancels_the_node_and_the_state_is_errored(self):
        await self.stack.restart_sidecar("--default-deadline-ms", "300")
        Hang.cancelled = asyncio.Event()
        runtime = Runtime("MyProject", "hangs", [Hang], sidecar_address=self.stack.address,
                          handle_signals=False)
        serving = asyncio.ensure_future(runtime.start_async())

        async def stop():
            runtime.stop(timeout=5)
            await asyncio.gather(serving, return_exceptions=True)

        self.addAsyncCleanup(stop)
        await runtime.wait_until_registered(STARTUP_TIMEOUT)
        await self.single_node_graph("hang", "Hang", {"text": "x"},
                                     retry_policy=RetryPolicyModel(max_retries=0))
        run = await self.manager.trigger("hang")
        result = await self.manager.wait_for_run(run["run_id"], timeout=RUN_TIMEOUT)
        state = self.only_state(result)
        self.assertEqual(state["status"], "ERRORED")
        self.assertIn("deadline exceeded", state["error"])
        await asyncio.wait_for(Hang.cancelled.wait(), STARTUP_TIMEOUT)
        self.assertEqual([m for m in self.logs.messages if "rejected the result" in m], [])

    async def test_runtime_follows_a_sidecar_restart(self):
        logs = self.logs
        runtime, serving = self.start_runtime("restarts")
        for attempt in (1, 2):
            await logs.wait_for("registered with the state manager", STARTUP_TIMEOUT, attempt)
            await self.single_node_graph("echo", "Echo", {"text": f"attempt {attempt}"})
            run = await self.manager.trigger("echo")
            result = await self.manager.wait_for_run(run["run_id"], timeout=RUN_TIMEOUT)
            self.assertEqual(self.only_state(result)["outputs"], {"text": f"attempt {attempt}"})
            if attempt == 1:
                await self.stack.restart_sidecar()
                await logs.wait_for("The sidecar is draining")
        self.assertFalse(serving.done())


if __name__ == "__main__":
    unittest.main()
