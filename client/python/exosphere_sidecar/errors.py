"""Errors raised by the Runtime and the StateManager when the sidecar refuses a call."""

from typing import Optional

import grpc


class SidecarError(Exception):
    """A call to the sidecar failed.

    Attributes:
        code: the gRPC status code (`grpc.StatusCode`), or None when the failure was found on
            the client side.
        details: the sidecar's own message.
    """

    def __init__(self, message: str, code: Optional[grpc.StatusCode] = None, details: str = ""):
        super().__init__(message)
        self.code = code
        self.details = details


class HelloRejectedError(SidecarError):
    """The sidecar refused the Runtime's Hello (INVALID_ARGUMENT, FAILED_PRECONDITION or
    UNAUTHENTICATED): sending it again cannot help, so `Runtime.start()` raises this."""
