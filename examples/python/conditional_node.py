"""The official SDK's "Advanced Control Flow with Signals" example: both signals.

`should_retry == "true"` puts the state back to run again in 5 seconds (ReQueueAfterSignal);
`data == "invalid"` prunes the branch (PruneSignal); anything else produces a result. Run it
like sample_node.py.
"""

from datetime import timedelta

from pydantic import BaseModel

from exosphere_sidecar import BaseNode, PruneSignal, ReQueueAfterSignal, Runtime


class ConditionalNode(BaseNode):
    class Inputs(BaseModel):
        data: str
        should_retry: str

    class Outputs(BaseModel):
        result: str

    async def execute(self) -> Outputs:
        if self.inputs.should_retry == "true":
            # Requeue this state after 5 seconds
            raise ReQueueAfterSignal(timedelta(seconds=5))

        if self.inputs.data == "invalid":
            # Drop this state completely
            raise PruneSignal()

        return self.Outputs(result=f"Processed: {self.inputs.data}")


if __name__ == "__main__":
    Runtime(namespace="MyProject", name="ConditionalProcessor", nodes=[ConditionalNode]).start()
