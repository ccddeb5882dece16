"""BaseNode: what a node implementation derives from (the official SDK's class, same module path)."""

from abc import ABC, abstractmethod
from typing import Any, List, Optional, Union

from pydantic import BaseModel


class BaseNode(ABC):
    """Abstract base class of every node served by a `Runtime`.

    A subclass declares its data with inner pydantic models (every field a `str` in v1):
    `Inputs`, `Outputs` and, when it needs graph secrets, `Secrets`; and implements
    `async def execute(self)`, which reads `self.inputs` and `self.secrets` and returns an
    `Outputs` instance, a list of them (a fan-out: each becomes its own state downstream) or None
    (no output). Raising `PruneSignal` or `ReQueueAfterSignal` controls the flow; any other
    exception reports the state errored with `str(exception)`, and the graph's retry policy
    applies. The node's name in graphs is the class name. A new instance runs every task.
    """

    def __init__(self) -> None:
        self.inputs: Optional[Any] = None
        self.secrets: Optional[Any] = None

    class Inputs(BaseModel):
        """Input schema of the node; override it in subclasses."""

    class Outputs(BaseModel):
        """Output schema of the node; override it in subclasses."""

    class Secrets(BaseModel):
        """Secrets the node needs (names of graph secrets); override it when it needs some."""

    async def _execute(self, inputs: Any, secrets: Any) -> Union[Any, List[Any], None]:
        """Stores the validated inputs and secrets on the instance and runs `execute`."""
        self.inputs = inputs
        self.secrets = secrets
        return await self.execute()

    @abstractmethod
    async def execute(self) -> Union[Any, List[Any], None]:
        """The node's logic: returns Outputs, a list of Outputs, or None."""
        raise NotImplementedError("execute method must be implemented by all concrete node classes")
