/**
 * Signals a node throws from `execute()` to end its state without outputs, as in the SDK. The
 * runtime turns them into a Prune or RequeueAfter result for the sidecar.
 */
export class PruneSignal extends Error {
  constructor(public data: Record<string, any> = {}) {
    super(
      `Prune signal received with data: ${JSON.stringify(data)} \n NOTE: Do not catch this Exception, let it bubble up to Runtime for handling at StateManager`,
    );
    this.name = 'PruneSignal';
  }
}

export class ReQueueAfterSignal extends Error {
  constructor(public delayMs: number) {
    if (!(delayMs > 0)) {
      throw new Error('Delay must be greater than 0');
    }
    super(
      `ReQueueAfter signal received with delay ${delayMs}ms \n NOTE: Do not catch this Exception, let it bubble up to Runtime for handling at StateManager`,
    );
    this.name = 'ReQueueAfterSignal';
  }
}
