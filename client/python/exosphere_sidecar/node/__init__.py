"""Node base class (also importable as `exosphere_sidecar.node.BaseNode.BaseNode`)."""

from .BaseNode import BaseNode

__all__ = ["BaseNode"]
