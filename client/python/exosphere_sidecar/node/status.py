"""State status constants, as in the official SDK's `exospherehost.node.status`.

The names of the statuses a state goes through, from creation to a final outcome. The state
manager reports a few more (`PRUNED`, `NEXT_CREATED_ERROR`); `StateManager.get_run_states`
returns the status strings as the state manager sends them.
"""

# Created but not yet queued for execution.
CREATED = "CREATED"
# Queued, waiting for a worker.
QUEUED = "QUEUED"
# Executed by a worker.
EXECUTED = "EXECUTED"
# The next states of the graph were created after a successful execution.
NEXT_CREATED = "NEXT_CREATED"
# A retry was created after a failure.
RETRY_CREATED = "RETRY_CREATED"
# The execution timed out.
TIMEDOUT = "TIMEDOUT"
# The execution failed with an error.
ERRORED = "ERRORED"
# The execution was cancelled.
CANCELLED = "CANCELLED"
# Finished successfully (final).
SUCCESS = "SUCCESS"
