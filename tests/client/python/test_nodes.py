"""Node classes: the SDK's validation rules and texts, the Hello, and how one task's outcome
becomes one TaskResult (no sidecar involved)."""

import json
import unittest
import warnings
from datetime import timedelta
from typing import Optional

from google.protobuf import json_format
from pydantic import BaseModel, Field

from exosphere_sidecar import BaseNode, PruneSignal, ReQueueAfterSignal, Runtime, _config, _nodes
from exosphere_sidecar.v1 import node_host_pb2 as pb


class Greeter(BaseNode):
    class Inputs(BaseModel):
        name: str
        punctuation: str = "!"

    class Outputs(BaseModel):
        greeting: str

    class Secrets(BaseModel):
        token: str

    async def execute(self):
        return self.Outputs(greeting=f"Hello, {self.inputs.name}{self.inputs.punctuation} "
                                     f"({len(self.secrets.token)})")


class Splitter(BaseNode):
    class Inputs(BaseModel):
        text: str

    class Outputs(BaseModel):
        item: str

    async def execute(self):
        if self.inputs.text == "none":
            return None
        if self.inputs.text == "dicts":
            return [{"item": "a"}, {"item": "b"}]
        if self.inputs.text == "missing":
            return {"other": "x"}
        if self.inputs.text == "wrong type":
            return 42
        return [self.Outputs(item=part) for part in self.inputs.text.split(",")]


class Signaller(BaseNode):
    class Inputs(BaseModel):
        mode: str

    class Outputs(BaseModel):
        done: str

    async def execute(self):
        mode = self.inputs.mode
        if mode == "prune":
            raise PruneSignal({"reason": "skip", "count": 2})
        if mode == "prune-default":
            raise PruneSignal()
        if mode == "prune-bad":
            raise PruneSignal(["not", "a", "dict"])
        if mode == "requeue":
            raise ReQueueAfterSignal(timedelta(seconds=1, milliseconds=500))
        if mode == "requeue-tiny":
            raise ReQueueAfterSignal(timedelta(microseconds=10))
        if mode == "requeue-zero":
            raise ReQueueAfterSignal(timedelta(0))
        if mode == "fail":
            raise RuntimeError("boom")
        if mode == "fail-empty":
            raise KeyError
        return self.Outputs(done=mode)


def task(node: str, state_id: str = "s-1", **inputs: str) -> pb.Task:
    return pb.Task(state_id=state_id, node_name=node, inputs=inputs)


class ValidationTest(unittest.TestCase):
    def assert_errors(self, nodes, expected):
        with self.assertRaises(ValueError) as caught:
            _nodes.validate_nodes(nodes)
        self.assertEqual(str(caught.exception),
                         "Following errors while validating nodes: " + "\n".join(expected))

    def test_valid_nodes_pass(self):
        _nodes.validate_nodes([Greeter, Splitter, Signaller])

    def test_not_a_node_lists_every_missing_piece_in_the_sdk_order(self):
        class NotNode:
            pass

        self.assert_errors([NotNode], [
            "NotNode does not inherit from exosphere_sidecar.BaseNode",
            "NotNode does not have an Inputs class",
            "NotNode does not have an Outputs class",
            "NotNode does not have an Inputs class that inherits from pydantic.BaseModel",
            "NotNode does not have an Outputs class that inherits from pydantic.BaseModel",
            "NotNode does not have an Secrets class",
            "NotNode does not have an Secrets class that inherits from pydantic.BaseModel",
        ])

    def test_models_that_are_not_pydantic_and_fields_that_are_not_str(self):
        class Wrong(BaseNode):
            Inputs = object

            class Outputs(BaseModel):
                ok: bool

            class Secrets(BaseModel):
                key: bytes
                maybe: Optional[str] = None

            async def execute(self):
                return None

        self.assert_errors([Wrong], [
            "Wrong does not have an Inputs class that inherits from pydantic.BaseModel",
            "Wrong.Outputs field 'ok' must be of type str, got <class 'bool'>",
            "Wrong.Secrets field 'key' must be of type str, got <class 'bytes'>",
            "Wrong.Secrets field 'maybe' must be of type str, got typing.Optional[str]",
        ])

    def test_duplicate_class_names_are_reported_after_the_per_node_errors(self):
        class Counter(BaseNode):
            class Inputs(BaseModel):
                count: int

            async def execute(self):
                return None

        other = type("Greeter", (BaseNode,), {"execute": Greeter.execute})
        self.assert_errors([Greeter, Counter, other], [
            "Counter.Inputs field 'count' must be of type str, got <class 'int'>",
            "Duplicate node class names found: ['Greeter']",
        ])

    def test_runtime_checks_nodes_and_workers_at_construction(self):
        class NotNode:
            pass

        with self.assertRaisesRegex(ValueError, "^Following errors while validating nodes: "):
            Runtime("ns", "rt", [NotNode], sidecar_address="unix:/nonexistent")
        with self.assertRaisesRegex(ValueError, "^Workers should be at least 1$"):
            Runtime("ns", "rt", [Greeter], workers=0, sidecar_address="unix:/nonexistent")

    def test_rest_only_parameters_are_accepted_and_warned_about_once(self):
        _config._warned.clear()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # The SDK's defaults, given explicitly, change nothing and are not warned about.
            Runtime("ns", "rt", [Greeter], batch_size=16, state_manage_version="v0",
                    poll_interval=1)
            self.assertEqual(caught, [])
            Runtime("ns", "rt", [Greeter], state_manager_uri="http://sm", key="k",
                    batch_size=32, state_manage_version="v1", poll_interval=5)
            Runtime("ns", "rt", [Greeter], state_manager_uri="http://sm")
        messages = [str(warning.message) for warning in caught]
        self.assertEqual(len(messages), 5, messages)
        for name in ("state_manager_uri", "key", "batch_size", "state_manage_version",
                     "poll_interval"):
            self.assertTrue(any(f"'{name}' is ignored" in message for message in messages), name)


class HelloTest(unittest.TestCase):
    def test_hello_declares_fields_secrets_slots_and_string_schemas(self):
        hello = _nodes.build_hello("ns", "rt", [Greeter, Splitter], 3, "label")
        self.assertEqual((hello.namespace, hello.runtime_name, hello.slots, hello.worker_label),
                         ("ns", "rt", 3, "label"))
        self.assertTrue(hello.accepts_task_batches)
        greeter = hello.nodes[0]
        self.assertEqual(greeter.name, "Greeter")
        self.assertEqual(list(greeter.input_fields), ["name", "punctuation"])
        self.assertEqual(list(greeter.output_fields), ["greeting"])
        self.assertEqual(list(greeter.secret_fields), ["token"])
        self.assertEqual(list(hello.nodes[1].secret_fields), [])
        inputs = json.loads(greeter.inputs_schema_json)
        self.assertEqual(inputs["type"], "object")
        self.assertEqual(set(inputs["properties"]), {"name", "punctuation"})
        for prop in inputs["properties"].values():
            self.assertEqual(prop["type"], "string")
        self.assertEqual(inputs["properties"]["punctuation"]["default"], "!")
        self.assertEqual(inputs["required"], ["name"])
        outputs = json.loads(greeter.outputs_schema_json)
        self.assertEqual(outputs["properties"], {"greeting": {"title": "Greeting", "type": "string"}})

    def test_schema_uses_field_names_and_drops_what_the_sidecar_refuses(self):
        class Aliased(BaseModel):
            url: str = Field(..., alias="URL", description="where", min_length=3)

        schema = _nodes.string_schema(Aliased)
        self.assertEqual(list(schema["properties"]), ["url"])
        prop = schema["properties"]["url"]
        self.assertEqual(set(prop) - {"title"}, {"description", "type"})
        self.assertEqual((prop["description"], prop["type"]), ("where", "string"))
        self.assertEqual(schema["required"], ["url"])

    def test_empty_model_has_no_required_list(self):
        self.assertEqual(_nodes.string_schema(BaseNode.Secrets),
                         {"title": "Secrets", "type": "object", "properties": {}})


class ExecuteTaskTest(unittest.IsolatedAsyncioTestCase):
    async def run_task(self, node, **inputs):
        return await _nodes.execute_task(node, task(node.__name__, **inputs))

    def outputs(self, result):
        self.assertEqual(result.WhichOneof("outcome"), "executed", result)
        return [dict(output.fields) for output in result.executed.outputs]

    async def test_single_output_with_inputs_secrets_and_defaults(self):
        result = await _nodes.execute_task(Greeter, pb.Task(
            state_id="s-9", node_name="Greeter", inputs={"name": "Ada", "extra": "ignored"},
            secrets={"token": "abcd"}))
        self.assertEqual(result.state_id, "s-9")
        self.assertEqual(self.outputs(result), [{"greeting": "Hello, Ada! (4)"}])

    async def test_fan_out_none_and_dicts(self):
        self.assertEqual(self.outputs(await self.run_task(Splitter, text="a,b,c")),
                         [{"item": "a"}, {"item": "b"}, {"item": "c"}])
        self.assertEqual(self.outputs(await self.run_task(Splitter, text="none")), [])
        self.assertEqual(self.outputs(await self.run_task(Splitter, text="dicts")),
                         [{"item": "a"}, {"item": "b"}])

    async def test_outputs_are_validated_against_the_outputs_model(self):
        result = await self.run_task(Splitter, text="missing")
        self.assertEqual(result.WhichOneof("outcome"), "errored")
        self.assertIn("item", result.errored.message)
        self.assertIn("Outputs", result.errored.message)
        result = await self.run_task(Splitter, text="wrong type")
        self.assertEqual(result.errored.message,
                         "Splitter.execute returned int; expected Splitter.Outputs, a list of "
                         "them or None")

    async def test_invalid_inputs_and_missing_secrets_are_errored(self):
        result = await _nodes.execute_task(Greeter, task("Greeter", punctuation="?"))
        self.assertEqual(result.WhichOneof("outcome"), "errored")
        self.assertIn("name", result.errored.message)
        result = await _nodes.execute_task(Greeter, task("Greeter", name="Ada"))
        self.assertIn("token", result.errored.message)

    async def test_exceptions_become_errored_with_their_text(self):
        result = await self.run_task(Signaller, mode="fail")
        self.assertEqual(result.errored.message, "boom")
        result = await self.run_task(Signaller, mode="fail-empty")
        self.assertEqual(result.errored.message, "KeyError")

    async def test_prune_signal(self):
        result = await self.run_task(Signaller, mode="prune")
        self.assertEqual(result.WhichOneof("outcome"), "prune")
        self.assertEqual(json_format.MessageToDict(result.prune.data),
                         {"reason": "skip", "count": 2})
        result = await self.run_task(Signaller, mode="prune-default")
        self.assertEqual(result.WhichOneof("outcome"), "prune")
        self.assertEqual(json_format.MessageToDict(result.prune.data), {})
        result = await self.run_task(Signaller, mode="prune-bad")
        self.assertEqual(result.errored.message, "PruneSignal data must be a dict, got list")

    async def test_requeue_after_signal_in_milliseconds(self):
        result = await self.run_task(Signaller, mode="requeue")
        self.assertEqual(result.WhichOneof("outcome"), "requeue_after")
        self.assertEqual(result.requeue_after.delay_ms, 1500)
        result = await self.run_task(Signaller, mode="requeue-tiny")
        self.assertEqual(result.requeue_after.delay_ms, 1)
        result = await self.run_task(Signaller, mode="requeue-zero")
        self.assertEqual(result.errored.message, "Delay must be greater than 0")

    async def test_plain_output_passes(self):
        self.assertEqual(self.outputs(await self.run_task(Signaller, mode="ok")),
                         [{"done": "ok"}])


class SignalsTest(unittest.TestCase):
    def test_prune_signal_texts_and_default(self):
        signal = PruneSignal({"test": "data"})
        self.assertEqual(signal.data, {"test": "data"})
        self.assertIn("Prune signal received with data: {'test': 'data'}", str(signal))
        self.assertIn("Do not catch this Exception", str(signal))
        self.assertEqual(PruneSignal().data, {})

    def test_requeue_signal_validates_its_delay(self):
        signal = ReQueueAfterSignal(timedelta(minutes=2, seconds=30))
        self.assertEqual(signal.delay, timedelta(minutes=2, seconds=30))
        self.assertEqual(signal.delay_ms, 150000)
        self.assertIn("ReQueueAfter signal received with timedelta", str(signal))
        with self.assertRaisesRegex(ValueError, "^Delay must be greater than 0$"):
            ReQueueAfterSignal(timedelta(seconds=-1))
        with self.assertRaises(TypeError):
            ReQueueAfterSignal(5)


if __name__ == "__main__":
    unittest.main()
