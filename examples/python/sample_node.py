"""The official Python SDK's "Basic Node Creation" example, served through the sidecar.

Start a sidecar (`exosphere-sidecar --dev` runs one with a local state manager), then:

    PYTHONPATH=client/python python3 examples/python/sample_node.py

Compared with the SDK's example only the import changed; the Runtime finds the sidecar through
EXOSPHERE_SIDECAR_ADDRESS (default unix:/tmp/exosphere-sidecar.sock) instead of the state
manager's URI and API key.
"""

from pydantic import BaseModel

from exosphere_sidecar import BaseNode, Runtime


class SampleNode(BaseNode):
    class Inputs(BaseModel):
        name: str
        data: str  # v1: strings only

    class Outputs(BaseModel):
        message: str
        processed_data: str  # v1: strings only

    async def execute(self) -> Outputs:
        print(f"Processing data for: {self.inputs.name}", flush=True)
        # Your processing logic here; serialize complex data to strings (e.g., JSON)
        processed_data = f"completed:{self.inputs.data}"
        return self.Outputs(
            message="success",
            processed_data=processed_data,
        )


if __name__ == "__main__":
    # Initialize the runtime
    Runtime(
        namespace="MyProject",
        name="DataProcessor",
        nodes=[SampleNode],
    ).start()
