// The "Custom Node Configuration" example of the official TypeScript SDK's README; only the
// import changed. Note: graphs must still give every input, max_length included, because the
// state manager requires every registered input field in the graph node's inputs.
import { BaseNode } from 'exosphere-sidecar';
import { z } from 'zod';

export class ConfigurableNode extends BaseNode {
  static name = 'configurable-node';
  static Inputs = z.object({
    text: z.string(),
    max_length: z.string().default('100'), // v1: strings only
  });
  static Outputs = z.object({
    result: z.string(),
    length: z.string(), // v1: strings only
  });
  static Secrets = z.object({});

  async execute() {
    const max_length = parseInt(this.inputs.max_length);
    const result = this.inputs.text.substring(0, max_length);
    return {
      result: result,
      length: result.length.toString(),
    };
  }
}
