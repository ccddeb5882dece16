"""Conformance with the official ExosphereHost Python SDK (package `exospherehost`, python-sdk/
in the exospherehost repository, release 0.0.3b0).

Every public name of the SDK is listed here as the SDK's source declares it: modules, classes,
functions, constructor and method signatures with their defaults, model fields with their
defaults, descriptions and constraints, validators with their messages, errors with their types
and texts. Each entry is checked against exosphere_sidecar, on whichever pydantic this runs with
(ctest runs it on 1.10 and on 2). What exists only for the SDK's REST transport is listed in
TRANSPORT_ONLY with the reason it has no counterpart; the test checks that list too, so that a
name cannot silently drop out of both.
"""

import asyncio
import importlib
import inspect
import logging
import os
import unittest
from datetime import timedelta
from unittest import mock

import grpc
from pydantic import BaseModel

import exosphere_sidecar
from exosphere_sidecar import _compat
from exosphere_sidecar._compat import REQUIRED, ValidationError
from exosphere_sidecar.errors import SidecarError
from fake_sidecar import FakeSidecar

# The SDK's `exospherehost/__init__.py`: `__all__` and the two version names.
SDK_ALL = [
    "Runtime", "BaseNode", "StateManager", "VERSION", "PruneSignal", "ReQueueAfterSignal",
    "UnitesStrategyEnum", "UnitesModel", "GraphNodeModel", "RetryStrategyEnum",
    "RetryPolicyModel", "StoreConfigModel", "CronTrigger",
]

# Public names by module (the SDK's module path -> names defined there).
SDK_MODULES = {
    "": SDK_ALL + ["__version__"],
    "_version": ["version"],
    "runtime": ["Runtime", "_setup_default_logging"],
    "statemanager": ["StateManager"],
    "signals": ["PruneSignal", "ReQueueAfterSignal"],
    "models": ["UnitesStrategyEnum", "UnitesModel", "GraphNodeModel", "RetryStrategyEnum",
               "RetryPolicyModel", "StoreConfigModel", "CronTrigger"],
    "node": ["BaseNode", "CREATED", "QUEUED", "EXECUTED", "NEXT_CREATED", "RETRY_CREATED",
             "TIMEDOUT", "ERRORED", "CANCELLED", "SUCCESS"],
    "node.BaseNode": ["BaseNode"],
    "node.status": ["CREATED", "QUEUED", "EXECUTED", "NEXT_CREATED", "RETRY_CREATED",
                    "TIMEDOUT", "ERRORED", "CANCELLED", "SUCCESS"],
}

# Callables: (owner, name) -> the SDK's parameters in order, each (name, default); REQUIRED for
# none. Ours must start with exactly these, in this order with these defaults; it may add
# keyword-only parameters after them (the sidecar's address and token).
SDK_SIGNATURES = {
    ("Runtime", "__init__"): [
        ("namespace", REQUIRED), ("name", REQUIRED), ("nodes", REQUIRED),
        ("state_manager_uri", None), ("key", None), ("batch_size", 16), ("workers", 4),
        ("state_manage_version", "v0"), ("poll_interval", 1)],
    ("Runtime", "start"): [],
    ("StateManager", "__init__"): [
        ("namespace", REQUIRED), ("state_manager_uri", None), ("key", None),
        ("state_manager_version", "v0")],
    ("StateManager", "trigger"): [
        ("graph_name", REQUIRED), ("inputs", None), ("store", None), ("start_delay", 0)],
    ("StateManager", "get_graph"): [("graph_name", REQUIRED)],
    ("StateManager", "upsert_graph"): [
        ("graph_name", REQUIRED), ("graph_nodes", REQUIRED), ("secrets", REQUIRED),
        ("retry_policy", None), ("store_config", None), ("triggers", None),
        ("validation_timeout", 60), ("polling_interval", 1)],
    ("BaseNode", "__init__"): [],
    ("BaseNode", "_execute"): [("inputs", REQUIRED), ("secrets", REQUIRED)],
    ("BaseNode", "execute"): [],
    ("PruneSignal", "__init__"): [("data", {})],
    ("ReQueueAfterSignal", "__init__"): [("delay", REQUIRED)],
}
# Where our default differs in form only: (owner, name, parameter) -> (our default, why).
EQUIVALENT_DEFAULTS = {
    ("PruneSignal", "__init__", "data"): (
        None, "None stands for a new {} per signal (the SDK's `data={}` is one dict shared by "
              "every signal); PruneSignal().data == {} in both"),
}
SDK_COROUTINES = [("StateManager", "trigger"), ("StateManager", "get_graph"),
                  ("StateManager", "upsert_graph"), ("BaseNode", "_execute"),
                  ("BaseNode", "execute")]

# Models: field -> (default or REQUIRED, description), in the SDK's declaration order.
SDK_MODELS = {
    "UnitesModel": {
        "identifier": (REQUIRED, "Identifier of the node"),
        "strategy": ("ALL_SUCCESS", "Strategy of the unites"),
    },
    "GraphNodeModel": {
        "node_name": (REQUIRED, "Name of the node"),
        "namespace": (REQUIRED, "Namespace of the node"),
        "identifier": (REQUIRED, "Identifier of the node"),
        "inputs": ({}, "Inputs of the node"),
        "next_nodes": (None, "Next nodes to execute"),
        "unites": (None, "Unites of the node"),
    },
    "RetryPolicyModel": {
        "max_retries": (3, "The maximum number of retries"),
        "strategy": ("EXPONENTIAL", "The method of retry"),
        "backoff_factor": (2000, "The backoff factor in milliseconds (default: 2000 = 2 seconds)"),
        "exponent": (2, "The exponent for the exponential retry strategy"),
        "max_delay": (None, "The maximum delay in milliseconds (no default limit when None)"),
    },
    "StoreConfigModel": {
        "required_keys": ([], "Required keys of the store"),
        "default_values": ({}, "Default values of the store"),
    },
    "CronTrigger": {
        "expression": (REQUIRED, "Cron expression"),
    },
}
SDK_ENUMS = {
    "UnitesStrategyEnum": ["ALL_SUCCESS", "ALL_DONE"],
    "RetryStrategyEnum": [
        "EXPONENTIAL", "EXPONENTIAL_FULL_JITTER", "EXPONENTIAL_EQUAL_JITTER", "LINEAR",
        "LINEAR_FULL_JITTER", "LINEAR_EQUAL_JITTER", "FIXED", "FIXED_FULL_JITTER",
        "FIXED_EQUAL_JITTER"],
}
SDK_VALIDATORS = {
    "GraphNodeModel": ["validate_node_name", "validate_identifier", "validate_next_nodes",
                       "validate_unites"],
    "StoreConfigModel": ["validate_required_keys", "validate_default_values"],
}

# The SDK's names that only make sense for its REST client, and why they have no counterpart.
TRANSPORT_ONLY = {
    "PruneSignal.send": "posts the signal to the state manager; the Runtime sends it to the "
                        "sidecar as a Prune result",
    "ReQueueAfterSignal.send": "posts the signal to the state manager; the Runtime sends it to "
                               "the sidecar as a RequeueAfter result",
    "Runtime ValueError 'State manager URI is not set'": "the sidecar holds the state "
                                                        "manager's address",
    "Runtime ValueError 'API key is not set'": "the sidecar holds the API key",
    "Runtime._get_*_endpoint, _register, _enqueue, _notify_*, _get_secrets, _worker": "the "
        "REST calls of the SDK's runtime loop; the sidecar makes them",
    "StateManager._get_*_endpoint": "REST URLs; the sidecar's Graphs API is called instead",
}


def module(path):
    return importlib.import_module("exosphere_sidecar" + ("." + path if path else ""))


def parameters(function):
    """[(name, default or REQUIRED)] of the positional-or-keyword parameters, without self."""
    result = []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.name == "self" or parameter.kind is not parameter.POSITIONAL_OR_KEYWORD:
            continue
        default = REQUIRED if parameter.default is parameter.empty else parameter.default
        result.append((parameter.name, default))
    return result


def enum_value(value):
    return getattr(value, "value", value)


def field_descriptions(model):
    if _compat.PYDANTIC_V2:
        return {name: info.description for name, info in model.model_fields.items()}
    return {name: field.field_info.description for name, field in model.__fields__.items()}


class Node(exosphere_sidecar.BaseNode):
    class Inputs(BaseModel):
        name: str

    class Outputs(BaseModel):
        message: str

    class Secrets(BaseModel):
        api_key: str

    async def execute(self):
        return self.Outputs(message=f"{self.inputs.name}:{self.secrets.api_key}")


class PydanticVersionTest(unittest.TestCase):
    def test_runs_on_the_pydantic_ctest_asked_for(self):
        # PythonClient.* runs on Debian's 1.10, PythonClient.Pydantic2.* on 2.
        expected = os.environ.get("EXOSPHERE_EXPECTED_PYDANTIC_MAJOR")
        if expected is None:
            self.skipTest("not run by ctest")
        import pydantic
        self.assertEqual(pydantic.VERSION.split(".")[0], expected)
        self.assertEqual(_compat.PYDANTIC_V2, expected == "2")


class NamesTest(unittest.TestCase):
    def test_every_public_name_of_the_sdk_exists_in_the_same_module(self):
        for path, names in SDK_MODULES.items():
            ours = module(path)
            for name in names:
                self.assertTrue(hasattr(ours, name), f"exosphere_sidecar.{path}: {name} missing")

    def test_the_package_exports_everything_the_sdk_exports(self):
        self.assertLessEqual(set(SDK_ALL), set(exosphere_sidecar.__all__))
        self.assertEqual(exosphere_sidecar.VERSION, exosphere_sidecar.__version__)
        self.assertEqual(module("_version").version, exosphere_sidecar.VERSION)
        self.assertIn("Python SDK", exosphere_sidecar.__doc__)

    def test_names_are_the_same_objects_wherever_they_are_imported_from(self):
        for path, names in SDK_MODULES.items():
            for name in names:
                if hasattr(exosphere_sidecar, name) and not name.startswith("_"):
                    self.assertIs(getattr(module(path), name), getattr(exosphere_sidecar, name),
                                  f"{path}.{name}")

    def test_status_constants_are_their_names(self):
        for name in SDK_MODULES["node.status"]:
            self.assertEqual(getattr(module("node.status"), name), name)

    def test_transport_only_names_are_absent_and_explained(self):
        self.assertFalse(hasattr(exosphere_sidecar.PruneSignal, "send"))
        self.assertFalse(hasattr(exosphere_sidecar.ReQueueAfterSignal, "send"))
        self.assertTrue(all(reason for reason in TRANSPORT_ONLY.values()))


class SignaturesTest(unittest.TestCase):
    def test_signatures_start_with_the_sdk_parameters_and_defaults(self):
        for (owner, name), expected in SDK_SIGNATURES.items():
            function = getattr(getattr(exosphere_sidecar, owner), name)
            actual = parameters(function)
            expected = [(parameter, EQUIVALENT_DEFAULTS.get((owner, name, parameter),
                                                            (default,))[0])
                        for parameter, default in expected]
            self.assertEqual(actual[:len(expected)], expected, f"{owner}.{name}")
            extra = [p for p in inspect.signature(function).parameters.values()
                     if p.kind is p.POSITIONAL_OR_KEYWORD and p.name != "self"][len(expected):]
            self.assertEqual(extra, [], f"{owner}.{name}: extra parameters must be keyword-only")

    def test_coroutines_are_coroutines(self):
        for owner, name in SDK_COROUTINES:
            self.assertTrue(
                inspect.iscoroutinefunction(getattr(getattr(exosphere_sidecar, owner), name)),
                f"{owner}.{name}")

    def test_base_node_is_abstract_with_the_sdk_inner_models(self):
        with self.assertRaisesRegex(TypeError, "Can't instantiate abstract class"):
            exosphere_sidecar.BaseNode()
        for kind in ("Inputs", "Outputs", "Secrets"):
            model = getattr(exosphere_sidecar.BaseNode, kind)
            self.assertTrue(issubclass(model, BaseModel), kind)
            self.assertEqual(_compat.field_annotations(model), {}, kind)
        self.assertIsNone(Node().inputs)


class ModelsTest(unittest.TestCase):
    def test_fields_defaults_and_descriptions(self):
        for name, fields in SDK_MODELS.items():
            model = getattr(exosphere_sidecar, name)
            self.assertEqual(list(_compat.field_annotations(model)), list(fields), name)
            defaults = _compat.field_defaults(model)
            descriptions = field_descriptions(model)
            for field, (default, description) in fields.items():
                actual = defaults[field]
                if default is REQUIRED:
                    self.assertIs(actual, REQUIRED, f"{name}.{field}")
                else:
                    self.assertEqual(enum_value(actual), default, f"{name}.{field}")
                self.assertEqual(descriptions[field], description, f"{name}.{field}")

    def test_enums(self):
        for name, members in SDK_ENUMS.items():
            enum = getattr(exosphere_sidecar, name)
            self.assertTrue(issubclass(enum, str), name)
            self.assertEqual([member.name for member in enum], members, name)
            self.assertEqual([member.value for member in enum], members, name)

    def test_validators_exist_under_the_sdk_names(self):
        for name, validators in SDK_VALIDATORS.items():
            for validator in validators:
                self.assertTrue(hasattr(getattr(exosphere_sidecar, name), validator),
                                f"{name}.{validator}")

    def test_pydantic_v2_methods_on_every_model(self):
        policy = exosphere_sidecar.RetryPolicyModel()
        self.assertEqual(policy.model_dump(mode="json"),
                         {"max_retries": 3, "strategy": "EXPONENTIAL", "backoff_factor": 2000,
                          "exponent": 2, "max_delay": None})
        node = exosphere_sidecar.GraphNodeModel.model_validate(
            {"node_name": "n", "namespace": "ns", "identifier": "i"})
        self.assertEqual(node.model_dump(),
                         {"node_name": "n", "namespace": "ns", "identifier": "i", "inputs": {},
                          "next_nodes": None, "unites": None})
        self.assertEqual(exosphere_sidecar.CronTrigger.model_validate_json(
            '{"expression": "0 9 * * 1-5"}').expression, "0 9 * * 1-5")
        self.assertIn('"expression"', exosphere_sidecar.CronTrigger(expression="* * * * *")
                      .model_dump_json())
        for name in SDK_MODELS:
            model = getattr(exosphere_sidecar, name)
            self.assertEqual(list(model.model_fields), list(SDK_MODELS[name]), name)
            self.assertEqual(model.model_json_schema()["title"], name)
        copy = policy.model_copy(update={"max_retries": 5})
        self.assertEqual((copy.max_retries, policy.max_retries), (5, 3))

    def assert_invalid(self, model, fields, *messages):
        with self.assertRaises(ValidationError) as caught:
            model(**fields)
        for message in messages:
            self.assertIn(message, str(caught.exception))

    def test_graph_node_validators(self):
        model = exosphere_sidecar.GraphNodeModel
        base = {"node_name": " N ", "namespace": "ns", "identifier": " n "}
        node = model(**base, next_nodes=[" a ", "b"], unites={"identifier": " p "})
        self.assertEqual((node.node_name, node.identifier, node.next_nodes, node.unites.identifier,
                          enum_value(node.unites.strategy)),
                         ("N", "n", ["a", "b"], "p", "ALL_SUCCESS"))
        self.assertEqual(model(**base).inputs, {})
        self.assertEqual(model(**base, next_nodes=None).next_nodes, [])  # the SDK's validator
        self.assertIsNone(model(**base).next_nodes)
        self.assert_invalid(model, {**base, "node_name": " "}, "Node name cannot be empty")
        self.assert_invalid(model, {**base, "identifier": ""}, "Node identifier cannot be empty")
        self.assert_invalid(model, {**base, "identifier": "store "},
                            "Node identifier cannot be reserved word 'store'")
        self.assert_invalid(model, {**base, "next_nodes": ["a", "", " a"]},
                            "Next node identifier cannot be empty",
                            "Next node identifier a is not unique")
        self.assert_invalid(model, {**base, "unites": {"identifier": "  "}},
                            "Unites identifier cannot be empty")
        self.assert_invalid(model, {**base, "unites": {"identifier": "p", "strategy": "SOME"}})

    def test_store_config_validators(self):
        model = exosphere_sidecar.StoreConfigModel
        config = model(required_keys=[" a "], default_values={" b ": "1"})
        self.assertEqual((config.required_keys, config.default_values), (["a"], {"b": "1"}))
        self.assert_invalid(model, {"required_keys": ["", "x.y", "k", "k "]},
                            "Key cannot be empty or contain only whitespace",
                            "Key 'x.y' cannot contain '.' character", "Key 'k' is duplicated")
        self.assert_invalid(model, {"default_values": {" ": "1", "c.d": "2", "e": "3", " e": "4"}},
                            "Key cannot be empty or contain only whitespace",
                            "Key 'c.d' cannot contain '.' character", "Key 'e' is duplicated")

    def test_retry_policy_constraints(self):
        model = exosphere_sidecar.RetryPolicyModel
        self.assertEqual(model(max_retries=0, strategy="LINEAR", max_delay=1).max_delay, 1)
        for fields in ({"max_retries": -1}, {"backoff_factor": 0}, {"exponent": 0},
                       {"max_delay": 0}, {"strategy": "SOMETIMES"}):
            self.assert_invalid(model, fields)

    def test_types_are_checked_like_pydantic_v2_on_either_version(self):
        # The SDK requires pydantic 2, which refuses these where pydantic 1 converted them.
        base = {"node_name": "n", "namespace": "ns", "identifier": "i"}
        self.assert_invalid(exosphere_sidecar.GraphNodeModel, {**base, "node_name": 5})
        self.assert_invalid(exosphere_sidecar.GraphNodeModel, {**base, "inputs": {1: "x"}})
        self.assert_invalid(exosphere_sidecar.GraphNodeModel, {**base, "next_nodes": [1]})
        self.assert_invalid(exosphere_sidecar.StoreConfigModel, {"default_values": {"a": 1}})
        self.assert_invalid(exosphere_sidecar.StoreConfigModel, {"required_keys": [None]})
        self.assert_invalid(exosphere_sidecar.CronTrigger, {"expression": 5})
        self.assert_invalid(exosphere_sidecar.RetryPolicyModel, {"max_retries": 1.5})
        self.assert_invalid(exosphere_sidecar.RetryPolicyModel, {"exponent": "2.5"})
        # ... and accept what v2 accepts.
        policy = exosphere_sidecar.RetryPolicyModel(max_retries="2", exponent=3.0)
        self.assertEqual((policy.max_retries, policy.exponent), (2, 3))


class RuntimeTest(unittest.TestCase):
    def make(self, **options):
        return exosphere_sidecar.Runtime("ns", "rt", [Node], sidecar_address="unix:/nonexistent",
                                         **options)

    def test_constructor_errors_types_and_messages_in_the_sdk_order(self):
        for options, message in (({"batch_size": 0}, "Batch size should be at least 1"),
                                 ({"batch_size": 0, "workers": 0},
                                  "Batch size should be at least 1"),
                                 ({"workers": 0}, "Workers should be at least 1")):
            with self.assertRaises(ValueError) as caught:
                self.make(**options)
            self.assertEqual(str(caught.exception), message)
        # Node errors come after the runtime's own checks, in one ValueError.
        with self.assertRaisesRegex(ValueError, "^Batch size should be at least 1$"):
            exosphere_sidecar.Runtime("ns", "rt", [object], batch_size=0)

    def test_node_validation_messages(self):
        class Wrong(exosphere_sidecar.BaseNode):
            Inputs = object

            class Outputs(BaseModel):
                ok: bool

            class Secrets(BaseModel):
                secret: bytes

            async def execute(self):
                return None

        with self.assertRaises(ValueError) as caught:
            exosphere_sidecar.Runtime("ns", "rt", [Wrong, Node, Node])
        self.assertEqual(str(caught.exception).split("\n"), [
            "Following errors while validating nodes: Wrong does not have an Inputs class that "
            "inherits from pydantic.BaseModel",
            "Wrong.Outputs field 'ok' must be of type str, got <class 'bool'>",
            "Wrong.Secrets field 'secret' must be of type str, got <class 'bytes'>",
            "Duplicate node class names found: ['Node']"])

    def test_defaults_and_missing_uri_or_key_are_no_error(self):
        with mock.patch.dict(os.environ, {}, clear=False):
            os.environ.pop("EXOSPHERE_STATE_MANAGER_URI", None)
            os.environ.pop("EXOSPHERE_API_KEY", None)
            runtime = self.make()
        self.assertEqual(runtime.name, "rt")

    def test_start_inside_a_running_loop_returns_a_task_like_the_sdk(self):
        async def inside():
            runtime = self.make(handle_signals=False)
            task = runtime.start()
            self.assertIsInstance(task, asyncio.Task)
            runtime.stop()
            await asyncio.wait_for(task, 10)

        asyncio.run(inside())

    def test_setup_default_logging_like_the_sdk(self):
        setup = module("runtime")._setup_default_logging
        root = logging.getLogger()
        saved = (root.handlers[:], root.level)
        try:
            for environment, expected_level in (({"EXOSPHERE_LOG_LEVEL": "debug"}, logging.DEBUG),
                                                ({}, logging.INFO)):
                root.handlers.clear()
                with mock.patch.dict(os.environ, environment):
                    os.environ.pop("EXOSPHERE_DISABLE_DEFAULT_LOGGING", None)
                    setup()
                self.assertEqual(len(root.handlers), 1)
                self.assertEqual(root.level, expected_level)
                self.assertEqual(root.handlers[0].formatter._fmt,
                                 "%(asctime)s | %(levelname)s | %(name)s | %(message)s")
                setup()  # configured already: left alone
                self.assertEqual(len(root.handlers), 1)
            root.handlers.clear()
            with mock.patch.dict(os.environ, {"EXOSPHERE_DISABLE_DEFAULT_LOGGING": "1"}):
                setup()
            self.assertEqual(root.handlers, [])
        finally:
            root.handlers[:] = saved[0]
            root.setLevel(saved[1])


class NodeAndSignalsTest(unittest.TestCase):
    def test_execute_stores_inputs_and_secrets_and_returns_execute(self):
        node = Node()
        outputs = asyncio.run(node._execute(Node.Inputs(name="a"), Node.Secrets(api_key="k")))
        self.assertEqual(outputs.message, "a:k")
        self.assertEqual((node.inputs.name, node.secrets.api_key), ("a", "k"))

    def test_prune_signal(self):
        signal = exosphere_sidecar.PruneSignal()
        self.assertIsInstance(signal, Exception)
        self.assertEqual(signal.data, {})
        self.assertEqual(str(exosphere_sidecar.PruneSignal({"why": "done"})),
                         "Prune signal received with data: {'why': 'done'} \n NOTE: Do not catch "
                         "this Exception, let it bubble up to Runtime for handling at StateManager")

    def test_requeue_after_signal(self):
        signal = exosphere_sidecar.ReQueueAfterSignal(timedelta(seconds=2))
        self.assertIsInstance(signal, Exception)
        self.assertEqual(signal.delay, timedelta(seconds=2))
        self.assertTrue(str(signal).startswith("ReQueueAfter signal received with timedelta: "))
        for delay in (timedelta(0), timedelta(seconds=-1)):
            with self.assertRaises(Exception) as caught:  # the SDK raises a plain Exception
                exosphere_sidecar.ReQueueAfterSignal(delay)
            self.assertEqual(str(caught.exception), "Delay must be greater than 0")


@unittest.skipUnless(_compat.PYDANTIC_V2, "node models written with pydantic 2's API")
class Pydantic2NodeTest(unittest.IsolatedAsyncioTestCase):
    """A node written for the SDK with pydantic 2's API (field_validator, model_dump,
    model_fields, model_copy) runs unchanged: run on pydantic 2 by PythonClient.Pydantic2.*."""

    async def test_a_node_using_the_v2_api_runs(self):
        from pydantic import field_validator

        from exosphere_sidecar import _nodes
        from exosphere_sidecar.v1 import node_host_pb2 as pb

        class Shout(exosphere_sidecar.BaseNode):
            class Inputs(BaseModel):
                text: str

                @field_validator("text")
                @classmethod
                def not_blank(cls, value: str) -> str:
                    if not value.strip():
                        raise ValueError("text must not be blank")
                    return value.strip()

            class Outputs(BaseModel):
                text: str
                fields: str

            async def execute(self):
                dumped = self.inputs.model_dump()
                names = ",".join(type(self.inputs).model_fields)
                return self.Outputs(text=dumped["text"].upper(), fields=names).model_copy()

        exosphere_sidecar.Runtime("ns", "rt", [Shout], sidecar_address="unix:/nonexistent")
        result = await _nodes.execute_task(Shout, pb.Task(state_id="s", node_name="Shout",
                                                          inputs={"text": " hi "}))
        self.assertEqual([dict(output.fields) for output in result.executed.outputs],
                         [{"text": "HI", "fields": "text"}])
        result = await _nodes.execute_task(Shout, pb.Task(state_id="s", node_name="Shout",
                                                          inputs={"text": " "}))
        self.assertIn("text must not be blank", result.errored.message)


class StateManagerErrorsTest(unittest.IsolatedAsyncioTestCase):
    """The SDK raises Exception("<operation>: <HTTP status> <body>"); ours raises SidecarError
    (an Exception) with the same prefix, then the gRPC status name and the sidecar's message."""

    async def test_error_prefixes(self):
        fake = FakeSidecar()
        await fake.start()
        self.addAsyncCleanup(fake.close)

        async def refuse(request, context):
            await context.abort(grpc.StatusCode.NOT_FOUND, "Graph template g not found")

        for method in ("GetGraph", "TriggerRun", "UpsertGraph"):
            fake.graphs.handlers[method] = refuse
        manager = exosphere_sidecar.StateManager("ns", sidecar_address=fake.address)
        node = exosphere_sidecar.GraphNodeModel(node_name="N", namespace="ns", identifier="n")
        for call, prefix in ((manager.get_graph("g"), "Failed to get graph: "),
                             (manager.trigger("g"), "Failed to trigger state: "),
                             (manager.upsert_graph("g", [node], {}), "Failed to upsert graph: ")):
            with self.assertRaises(Exception) as caught:
                await call
            self.assertIsInstance(caught.exception, SidecarError)
            self.assertEqual(str(caught.exception),
                             f"{prefix}NOT_FOUND Graph template g not found")


if __name__ == "__main__":
    unittest.main()
