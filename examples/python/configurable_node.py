"""The official Python SDK's "Custom Node Configuration" example: an input with a default.

Run it like sample_node.py. Graphs must still give `max_length` a value (the state manager
requires every input field of a registered node in the graph node's inputs).
"""

from pydantic import BaseModel

from exosphere_sidecar import BaseNode, Runtime


class ConfigurableNode(BaseNode):
    class Inputs(BaseModel):
        text: str
        max_length: str = "100"  # v1: strings only

    class Outputs(BaseModel):
        result: str
        length: str  # v1: strings only

    async def execute(self) -> Outputs:
        max_length = int(self.inputs.max_length)
        result = self.inputs.text[:max_length]
        return self.Outputs(result=result, length=str(len(result)))


if __name__ == "__main__":
    Runtime(namespace="MyProject", name="TextTools", nodes=[ConfigurableNode]).start()
