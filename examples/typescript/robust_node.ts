// The "Error Handling" example of the official TypeScript SDK's README; only the import changed.
// The thrown error becomes an errored state with its message; the graph's retry policy applies.
import { BaseNode } from 'exosphere-sidecar';
import { z } from 'zod';

export class RobustNode extends BaseNode {
  static name = 'robust-node';
  static Inputs = z.object({
    data: z.string(),
  });
  static Outputs = z.object({
    success: z.string(),
    result: z.string(),
  });
  static Secrets = z.object({});

  async execute() {
    throw new Error('This is a test error');
  }
}
