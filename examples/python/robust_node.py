"""The official Python SDK's "Error Handling" example: a node that raises.

The exception's text becomes the state's error and the graph's retry policy decides whether it
runs again. Run it like sample_node.py.
"""

from pydantic import BaseModel

from exosphere_sidecar import BaseNode, Runtime


class RobustNode(BaseNode):
    class Inputs(BaseModel):
        data: str

    class Outputs(BaseModel):
        success: str
        result: str

    async def execute(self) -> Outputs:
        raise Exception("This is a test error")


if __name__ == "__main__":
    Runtime(namespace="MyProject", name="RobustProcessor", nodes=[RobustNode]).start()
