// The "Basic Node Creation" example of the official TypeScript SDK's README, served through the
// sidecar. Changed from the README: the import ('exosphere-sidecar' instead of 'exospherehost')
// and the Runtime options (the sidecar holds the state manager's URI and API key).
//
//   node client/typescript/dist/examples/sample_node.js   (EXOSPHERE_SIDECAR_ADDRESS=unix:/... )
import { Runtime, BaseNode } from 'exosphere-sidecar';
import { z } from 'zod';

class SampleNode extends BaseNode {
  static name = 'sample-node';
  static Inputs = z.object({
    name: z.string(),
    data: z.string(), // v1: strings only
  });
  static Outputs = z.object({
    message: z.string(),
    processed_data: z.string(), // v1: strings only
  });
  static Secrets = z.object({});

  async execute() {
    console.log(`Processing data for: ${this.inputs.name}`);
    // Your processing logic here; serialize complex data to strings (e.g., JSON)
    const processed_data = `completed:${this.inputs.data}`;
    return {
      message: 'success',
      processed_data: processed_data,
    };
  }
}

// Initialize the runtime
const runtime = new Runtime('MyProject', 'DataProcessor', [SampleNode], {
  // Default: EXOSPHERE_SIDECAR_ADDRESS, else unix:/tmp/exosphere-sidecar.sock.
  sidecarAddress: process.env.EXOSPHERE_SIDECAR_ADDRESS,
  workers: 4,
});

// Serves until SIGTERM (after finishing the tasks in flight).
await runtime.start();
