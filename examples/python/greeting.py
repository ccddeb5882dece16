"""The official SDK's "Complete Minimal Example": a node, its graph, and a run, in one program.

    PYTHONPATH=client/python python3 examples/python/greeting.py [NAME]

Starts the runtime (its nodes must be registered before the graph is upserted), creates the
graph, triggers it with NAME in the run's store, waits for the run, prints the greeting and
stops. Exits 1 when the run does not succeed.
"""

import asyncio
import sys

from pydantic import BaseModel

from exosphere_sidecar import (
    BaseNode,
    GraphNodeModel,
    Runtime,
    StateManager,
    StoreConfigModel,
)


# 1. Define a custom node
class GreetingNode(BaseNode):
    class Inputs(BaseModel):
        name: str

    class Outputs(BaseModel):
        greeting: str

    async def execute(self) -> Outputs:
        return self.Outputs(greeting=f"Hello, {self.inputs.name}!")


async def main(name: str) -> int:
    namespace = "example-namespace"

    # 2. Start the runtime to process nodes (inside an event loop start() returns a task)
    runtime = Runtime(namespace, "greeting-runtime", [GreetingNode])
    serving = runtime.start()
    try:
        await runtime.wait_until_registered(timeout=30)

        # 3. Set up the state manager
        state_manager = StateManager(namespace)

        # 4. Define the workflow graph and create it
        nodes = [
            GraphNodeModel(
                node_name="GreetingNode",
                namespace=namespace,
                identifier="greeter",
                inputs={"name": "${{ store.name }}"},
            )
        ]
        await state_manager.upsert_graph(
            "greeting-workflow", nodes, {},
            store_config=StoreConfigModel(required_keys=["name"]))

        # 5. Trigger the workflow and wait for its result
        run = await state_manager.trigger("greeting-workflow", store={"name": name})
        result = await state_manager.wait_for_run(run["run_id"], timeout=60)
    finally:
        runtime.stop()
        await serving

    if result["status"] != "SUCCESS":
        print(f"run {run['run_id']} ended {result['status']}: {result['states']}",
              file=sys.stderr)
        return 1
    print(result["states"][0]["outputs"]["greeting"])
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "World")))
