// The "Advanced Control Flow with Signals" example of the official TypeScript SDK's README; only
// the import changed. ReQueueAfterSignal puts the state back for 5 s; PruneSignal ends the branch.
import { BaseNode, PruneSignal, ReQueueAfterSignal } from 'exosphere-sidecar';
import { z } from 'zod';

export class ConditionalNode extends BaseNode {
  static name = 'conditional-node';
  static Inputs = z.object({
    data: z.string(),
    should_retry: z.string(),
  });
  static Outputs = z.object({
    result: z.string(),
  });
  static Secrets = z.object({});

  async execute() {
    const shouldRetry = this.inputs.should_retry === 'true';

    if (shouldRetry) {
      // Requeue this state after 5 seconds
      throw new ReQueueAfterSignal(5000);
    }

    if (this.inputs.data === 'invalid') {
      // Drop this state completely
      throw new PruneSignal();
    }

    return {
      result: `Processed: ${this.inputs.data}`,
    };
  }
}
