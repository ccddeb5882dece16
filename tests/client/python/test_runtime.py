"""Runtime against the fake NodeHost service: the stream protocol, results, cancellation, drain,
graceful stop, reconnects and rejected Hellos."""

import asyncio
import os
import signal
import sys
import textwrap
import unittest

import grpc
from google.protobuf import json_format
from pydantic import BaseModel

from exosphere_sidecar import BaseNode, HelloRejectedError, PruneSignal, Runtime
from exosphere_sidecar.v1 import node_host_pb2 as pb
import log_capture
from fake_sidecar import STEP_TIMEOUT, FakeSidecar

# Each blocking node waits on the gate of its state id; the test opens it.
GATES = {}
STARTED = {}
CANCELLED = []
# The text of every input Upper ran on, to count executions.
UPPER_RUNS = []


def gate(state_id):
    return GATES.setdefault(state_id, asyncio.Event())


def started(state_id):
    return STARTED.setdefault(state_id, asyncio.Event())


class Upper(BaseNode):
    class Inputs(BaseModel):
        text: str

    class Outputs(BaseModel):
        text: str

    async def execute(self):
        UPPER_RUNS.append(self.inputs.text)
        if self.inputs.text == "prune":
            raise PruneSignal({"why": "asked"})
        if self.inputs.text == "fail":
            raise ValueError("cannot upper-case 'fail'")
        if self.inputs.text == "big":
            return self.Outputs(text="x" * 5000)
        return self.Outputs(text=self.inputs.text.upper())


class Block(BaseNode):
    """Runs until the test opens its gate; records a cancellation."""

    class Inputs(BaseModel):
        id: str

    class Outputs(BaseModel):
        id: str

    async def execute(self):
        started(self.inputs.id).set()
        try:
            await gate(self.inputs.id).wait()
        except asyncio.CancelledError:
            CANCELLED.append(self.inputs.id)
            raise
        return self.Outputs(id=self.inputs.id)


def task(state_id, node, **inputs):
    return pb.Task(state_id=state_id, node_name=node, inputs=inputs)


class RuntimeTestCase(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        GATES.clear()
        STARTED.clear()
        CANCELLED.clear()
        UPPER_RUNS.clear()
        self.logs = log_capture.install()
        self.addCleanup(log_capture.uninstall, self.logs)
        self.fake = FakeSidecar()
        await self.fake.start()
        self.addAsyncCleanup(self.fake.close)

    def start_runtime(self, nodes=(Upper, Block), **options):
        options.setdefault("sidecar_address", self.fake.address)
        options.setdefault("handle_signals", False)
        options.setdefault("initial_backoff", 0.01)
        options.setdefault("max_backoff", 0.05)
        runtime = Runtime("ns", "rt", list(nodes), **options)
        run = asyncio.ensure_future(runtime.start_async())

        async def stop_if_running():
            if not run.done():
                run.cancel()
            await asyncio.gather(run, return_exceptions=True)

        self.addAsyncCleanup(stop_if_running)
        return runtime, run

    async def connect(self, runtime=None, register=True):
        stream = await self.fake.next_stream()
        hello = await stream.expect("hello")
        stream.welcome()
        if register:
            stream.register()
            if runtime is not None:
                await runtime.wait_until_registered(STEP_TIMEOUT)
        return stream, hello

    async def wait_done(self, run):
        return await asyncio.wait_for(run, STEP_TIMEOUT)


class ProtocolTest(RuntimeTestCase):
    async def test_hello_carries_nodes_slots_label_and_token(self):
        runtime, run = self.start_runtime(workers=3, worker_label="pod-7", worker_token="tok")
        stream, hello = await self.connect(runtime)
        self.assertEqual((hello.namespace, hello.runtime_name, hello.slots, hello.worker_label),
                         ("ns", "rt", 3, "pod-7"))
        self.assertTrue(hello.accepts_task_batches)
        self.assertEqual([node.name for node in hello.nodes], ["Upper", "Block"])
        self.assertEqual(list(hello.nodes[0].input_fields), ["text"])
        self.assertEqual(stream.metadata.get("x-exosphere-worker-token"), "tok")
        self.assertTrue(runtime.registered)

    async def test_each_task_gets_one_result(self):
        runtime, run = self.start_runtime()
        stream, _ = await self.connect(runtime)
        stream.send(task=task("s1", "Upper", text="abc"))
        result = await stream.expect("result")
        self.assertEqual(result.state_id, "s1")
        self.assertEqual([dict(o.fields) for o in result.executed.outputs], [{"text": "ABC"}])
        stream.send(task=task("s2", "Upper", text="fail"))
        result = await stream.expect("result")
        self.assertEqual((result.state_id, result.errored.message),
                         ("s2", "cannot upper-case 'fail'"))
        stream.send(task=task("s3", "Upper", text="prune"))
        result = await stream.expect("result")
        self.assertEqual(json_format.MessageToDict(result.prune.data), {"why": "asked"})
        stream.send(task=task("s4", "Nope", text="x"))
        result = await stream.expect("result")
        self.assertEqual(result.errored.message, 'Unknown node "Nope"')

    async def test_each_task_of_a_batch_runs_once_and_gets_one_result(self):
        runtime, run = self.start_runtime()
        stream, _ = await self.connect(runtime)
        stream.send(task_batch=pb.TaskBatch(tasks=[
            task("b1", "Upper", text="one"),
            task("b2", "Block", id="b2"),
            task("b3", "Upper", text="fail"),
            task("b4", "Upper", text="two"),
        ]))
        # The tasks run concurrently, as if each had come alone: b2 blocks none of the others.
        results = {}
        for _ in range(3):
            result = await stream.expect("result")
            results[result.state_id] = result
        self.assertEqual(set(results), {"b1", "b3", "b4"})
        self.assertEqual([dict(o.fields) for o in results["b1"].executed.outputs],
                         [{"text": "ONE"}])
        self.assertEqual(results["b3"].errored.message, "cannot upper-case 'fail'")
        self.assertEqual([dict(o.fields) for o in results["b4"].executed.outputs],
                         [{"text": "TWO"}])
        gate("b2").set()
        self.assertEqual((await stream.expect("result")).state_id, "b2")
        # No second result for any of them: the next message answers a task sent afterwards.
        stream.send(task=task("s5", "Upper", text="after"))
        self.assertEqual((await stream.expect("result")).state_id, "s5")
        self.assertEqual(sorted(UPPER_RUNS), ["after", "fail", "one", "two"])

    async def test_task_of_a_batch_can_be_cancelled(self):
        runtime, run = self.start_runtime()
        stream, _ = await self.connect(runtime)
        stream.send(task_batch=pb.TaskBatch(tasks=[task("b1", "Block", id="b1"),
                                                   task("b2", "Block", id="b2")]))
        await asyncio.wait_for(started("b1").wait(), STEP_TIMEOUT)
        await asyncio.wait_for(started("b2").wait(), STEP_TIMEOUT)
        stream.send(cancel=pb.CancelTask(state_id="b1", reason=pb.CancelTask.DEADLINE_EXCEEDED))
        gate("b2").set()
        self.assertEqual((await stream.expect("result")).state_id, "b2")
        self.assertEqual(CANCELLED, ["b1"])

    async def test_results_arrive_in_completion_order(self):
        runtime, run = self.start_runtime()
        stream, _ = await self.connect(runtime)
        stream.send(task=task("slow", "Block", id="slow"))
        stream.send(task=task("fast", "Block", id="fast"))
        await asyncio.wait_for(started("slow").wait(), STEP_TIMEOUT)
        gate("fast").set()
        self.assertEqual((await stream.expect("result")).state_id, "fast")
        gate("slow").set()
        self.assertEqual((await stream.expect("result")).state_id, "slow")

    async def test_result_larger_than_the_sidecar_accepts_is_errored_instead(self):
        runtime, run = self.start_runtime()
        stream = await self.fake.next_stream()
        await stream.expect("hello")
        stream.welcome(max_message_bytes=1024)
        stream.send(task=task("s1", "Upper", text="big"))
        result = await stream.expect("result")
        self.assertRegex(result.errored.message,
                         r"^the result of \d+ bytes exceeds the sidecar's limit of 1024 bytes$")

    async def test_cancel_task_stops_the_node_and_sends_nothing(self):
        runtime, run = self.start_runtime()
        stream, _ = await self.connect(runtime)
        stream.send(task=task("s1", "Block", id="s1"))
        await asyncio.wait_for(started("s1").wait(), STEP_TIMEOUT)
        stream.send(cancel=pb.CancelTask(state_id="s1", reason=pb.CancelTask.DEADLINE_EXCEEDED))
        stream.send(task=task("s2", "Upper", text="next"))
        # The next message is the answer to s2: nothing was sent for the cancelled task.
        self.assertEqual((await stream.expect("result")).state_id, "s2")
        self.assertEqual(CANCELLED, ["s1"])

    async def test_registration_failure_is_reported_by_wait_until_registered(self):
        runtime, run = self.start_runtime()
        stream, _ = await self.connect(register=False)
        stream.register(False, "state manager unreachable", 500)
        with self.assertRaisesRegex(TimeoutError, "last error: state manager unreachable"):
            await runtime.wait_until_registered(0.2)
        self.assertFalse(runtime.registered)
        stream.register(True)
        await runtime.wait_until_registered(STEP_TIMEOUT)
        self.assertTrue(runtime.registered)

    async def test_start_inside_a_running_loop_returns_a_task_like_the_sdk(self):
        runtime = Runtime("ns", "rt", [Upper], sidecar_address=self.fake.address,
                          handle_signals=False)
        run = runtime.start()
        self.assertIsInstance(run, asyncio.Task)
        stream, _ = await self.connect(runtime)
        runtime.stop()
        await stream.expect("set_slots")
        await stream.expect_half_close()
        stream.finish()
        self.assertIsNone(await self.wait_done(run))
        with self.assertRaisesRegex(RuntimeError, "already started"):
            await runtime.start_async()


class StopAndDrainTest(RuntimeTestCase):
    async def test_graceful_stop_pauses_finishes_in_flight_then_closes(self):
        runtime, run = self.start_runtime()
        stream, _ = await self.connect(runtime)
        stream.send(task=task("s1", "Block", id="s1"))
        await asyncio.wait_for(started("s1").wait(), STEP_TIMEOUT)
        runtime.stop()
        self.assertEqual((await stream.expect("set_slots")).slots, 0)
        # A task sent before the sidecar saw the pause still runs and is answered.
        stream.send(task=task("s2", "Upper", text="late"))
        self.assertEqual((await stream.expect("result")).state_id, "s2")
        self.assertFalse(run.done())
        gate("s1").set()
        self.assertEqual((await stream.expect("result")).state_id, "s1")
        await stream.expect_half_close()
        stream.finish()
        self.assertIsNone(await self.wait_done(run))
        self.assertEqual(CANCELLED, [])
        self.assertTrue(self.fake.node_host.streams.empty())

    async def test_task_arriving_after_the_half_close_is_not_run(self):
        runtime, run = self.start_runtime()
        stream, _ = await self.connect(runtime)
        runtime.stop()
        await stream.expect("set_slots")
        await stream.expect_half_close()
        stream.send(task=task("s1", "Block", id="s1"))
        await self.logs.wait_for("Task s1 arrived after the stream was half-closed; not run")
        stream.finish()
        self.assertIsNone(await self.wait_done(run))
        self.assertNotIn("s1", STARTED)

    async def test_stop_timeout_cancels_tasks_that_do_not_finish(self):
        runtime, run = self.start_runtime()
        stream, _ = await self.connect(runtime)
        stream.send(task=task("s1", "Block", id="s1"))
        await asyncio.wait_for(started("s1").wait(), STEP_TIMEOUT)
        runtime.stop(timeout=0.1)
        await stream.expect("set_slots")
        self.assertIsNone(await self.wait_done(run))
        self.assertEqual(CANCELLED, ["s1"])
        await asyncio.wait_for(stream.ended.wait(), STEP_TIMEOUT)
        self.assertTrue(stream.cancelled_by_worker)

    async def test_second_stop_stops_at_once(self):
        runtime, run = self.start_runtime()
        stream, _ = await self.connect(runtime)
        stream.send(task=task("s1", "Block", id="s1"))
        await asyncio.wait_for(started("s1").wait(), STEP_TIMEOUT)
        runtime.stop()
        await stream.expect("set_slots")
        runtime.stop()
        self.assertIsNone(await self.wait_done(run))
        self.assertEqual(CANCELLED, ["s1"])

    async def test_stop_before_the_welcome_cancels_the_stream(self):
        runtime, run = self.start_runtime()
        stream = await self.fake.next_stream()
        await stream.expect("hello")
        runtime.stop()
        self.assertIsNone(await self.wait_done(run))
        await asyncio.wait_for(stream.ended.wait(), STEP_TIMEOUT)

    async def test_stop_before_start_returns_at_once(self):
        runtime = Runtime("ns", "rt", [Upper], sidecar_address=self.fake.address,
                          handle_signals=False)
        runtime.stop()
        self.assertIsNone(await self.wait_done(asyncio.ensure_future(runtime.start_async())))
        self.assertTrue(self.fake.node_host.streams.empty())

    async def test_stop_from_another_thread(self):
        runtime, run = self.start_runtime()
        stream, _ = await self.connect(runtime)
        await asyncio.get_running_loop().run_in_executor(None, runtime.stop)
        await stream.expect("set_slots")
        await stream.expect_half_close()
        stream.finish()
        self.assertIsNone(await self.wait_done(run))

    async def test_drain_finishes_in_flight_closes_and_reconnects(self):
        runtime, run = self.start_runtime()
        stream, _ = await self.connect(runtime)
        stream.send(task=task("s1", "Block", id="s1"))
        await asyncio.wait_for(started("s1").wait(), STEP_TIMEOUT)
        stream.send(drain=pb.Drain(deadline_ms=5000))
        gate("s1").set()
        self.assertEqual((await stream.expect("result")).state_id, "s1")
        await stream.expect_half_close()
        stream.finish()
        # The sidecar's replacement: the runtime connects again with the same Hello.
        next_stream = await self.fake.next_stream()
        await next_stream.expect("hello")
        self.assertFalse(run.done())


class ReconnectTest(RuntimeTestCase):
    async def test_unavailable_stream_reconnects_and_serves_again(self):
        runtime, run = self.start_runtime()
        stream, first_hello = await self.connect(runtime)
        stream.send(task=task("s1", "Block", id="s1"))
        await asyncio.wait_for(started("s1").wait(), STEP_TIMEOUT)
        stream.finish(grpc.StatusCode.UNAVAILABLE, "sidecar restarting")
        stream, second_hello = await self.connect(runtime)
        self.assertEqual(first_hello, second_hello)
        # The task of the broken stream was cancelled: its result could not be delivered.
        self.assertEqual(CANCELLED, ["s1"])
        stream.send(task=task("s2", "Upper", text="again"))
        self.assertEqual((await stream.expect("result")).state_id, "s2")

    async def test_sidecar_restart_is_survived(self):
        runtime, run = self.start_runtime()
        await self.connect(runtime)
        await self.fake.restart()
        stream, _ = await self.connect(runtime)
        stream.send(task=task("s1", "Upper", text="back"))
        self.assertEqual((await stream.expect("result")).state_id, "s1")
        self.assertFalse(run.done())

    async def test_absent_sidecar_is_retried_until_it_comes(self):
        await self.fake.stop()
        runtime, run = self.start_runtime()
        message = await self.logs.wait_for("Could not connect to the sidecar")
        self.assertIn("UNAVAILABLE", message)
        await self.fake.restart()
        stream, _ = await self.connect(runtime)
        stream.send(task=task("s1", "Upper", text="here"))
        self.assertEqual((await stream.expect("result")).state_id, "s1")

    async def test_messages_before_the_welcome_are_a_protocol_error_and_reconnect(self):
        runtime, run = self.start_runtime()
        stream = await self.fake.next_stream()
        await stream.expect("hello")
        stream.register()
        await asyncio.wait_for(stream.ended.wait(), STEP_TIMEOUT)
        self.assertTrue(stream.cancelled_by_worker)
        stream, _ = await self.connect(runtime)
        self.assertFalse(run.done())


class HelloRejectedTest(RuntimeTestCase):
    async def test_permanent_codes_end_start_with_the_sidecar_message(self):
        for code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION,
                     grpc.StatusCode.UNAUTHENTICATED):
            with self.subTest(code=code):
                runtime, run = self.start_runtime()
                stream = await self.fake.next_stream()
                await stream.expect("hello")
                stream.finish(code, f"Hello.nodes[0] is wrong ({code.name})")
                with self.assertRaises(HelloRejectedError) as caught:
                    await self.wait_done(run)
                self.assertIn(f"Hello.nodes[0] is wrong ({code.name})", str(caught.exception))
                self.assertEqual(caught.exception.code, code)
                with self.assertRaises(HelloRejectedError):
                    await runtime.wait_until_registered(STEP_TIMEOUT)

    async def test_other_codes_before_the_welcome_are_retried(self):
        runtime, run = self.start_runtime()
        for code in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE):
            stream = await self.fake.next_stream()
            await stream.expect("hello")
            stream.finish(code, "try later")
        await self.connect(runtime)
        self.assertFalse(run.done())


SIGTERM_WORKER = textwrap.dedent("""
    import asyncio, sys
    from pydantic import BaseModel
    from exosphere_sidecar import BaseNode, Runtime

    class Wait(BaseNode):
        class Inputs(BaseModel):
            id: str

        class Outputs(BaseModel):
            id: str

        async def execute(self):
            print("running", self.inputs.id, flush=True)
            line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
            return self.Outputs(id=self.inputs.id + ":" + line.strip())

    Runtime("ns", "rt", [Wait]).start()
    print("stopped", flush=True)
""")


class SignalTest(RuntimeTestCase):
    async def test_sigterm_finishes_in_flight_tasks_then_start_returns(self):
        env = dict(os.environ, EXOSPHERE_SIDECAR_ADDRESS=self.fake.address,
                   EXOSPHERE_DISABLE_DEFAULT_LOGGING="1")
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-c", SIGTERM_WORKER, env=env, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE)

        async def reap():
            if child.returncode is None:
                child.kill()
            await child.wait()

        self.addAsyncCleanup(reap)
        stream, _ = await self.connect()
        stream.send(task=task("s1", "Wait", id="s1"))
        self.assertEqual(await asyncio.wait_for(child.stdout.readline(), STEP_TIMEOUT),
                         b"running s1\n")
        child.send_signal(signal.SIGTERM)
        self.assertEqual((await stream.expect("set_slots")).slots, 0)
        child.stdin.write(b"go\n")
        await child.stdin.drain()
        result = await stream.expect("result")
        self.assertEqual([dict(o.fields) for o in result.executed.outputs], [{"id": "s1:go"}])
        await stream.expect_half_close()
        stream.finish()
        self.assertEqual(await asyncio.wait_for(child.stdout.readline(), STEP_TIMEOUT),
                         b"stopped\n")
        self.assertEqual(await asyncio.wait_for(child.wait(), STEP_TIMEOUT), 0)


if __name__ == "__main__":
    unittest.main()
