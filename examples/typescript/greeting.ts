// The "Complete Minimal Example" of the official TypeScript SDK's README, served through the
// sidecar. What changed from the README, and why:
//   * the import ('exosphere-sidecar') and the StateManager/Runtime options (the sidecar holds
//     the state manager's URI and API key);
//   * the graph input: the README's `name: "store.name"` is a bug of the README (that is the
//     constant text "store.name"); a store reference is written `${{ store.name }}`, and the
//     state manager accepts it only when `name` is a required store key (or has a default), hence
//     the store config passed to upsertGraph;
//   * the order: the state manager validates a graph against the registered nodes, so the
//     runtime starts (and its nodes are registered) before the graph is created. `start()` serves
//     until the runtime stops, so it is not awaited where the README awaits it;
//   * the end: the README stops after trigger(); here the program waits for the run, prints the
//     greeting and stops the runtime, so that it ends by itself.
//
//   node client/typescript/dist/examples/greeting.js   (EXOSPHERE_SIDECAR_ADDRESS=unix:/... )
import { StateManager, BaseNode, Runtime, GraphNodeModel } from 'exosphere-sidecar';
import { z } from 'zod';

// 1. Define a custom node
class GreetingNode extends BaseNode {
  static name = 'greeting';
  static Inputs = z.object({
    name: z.string(),
  });
  static Outputs = z.object({
    greeting: z.string(),
  });
  static Secrets = z.object({});

  async execute() {
    return {
      greeting: `Hello, ${this.inputs.name}!`,
    };
  }
}

// 2. Set up the state manager
const sm = new StateManager('example-namespace', {
  sidecarAddress: process.env.EXOSPHERE_SIDECAR_ADDRESS,
});

// 3. Define the workflow graph
const nodes: GraphNodeModel[] = [
  {
    node_name: 'greeting',
    namespace: 'example-namespace',
    identifier: 'greeter',
    inputs: {
      name: '${{ store.name }}',
    },
  },
];

// 5. Start the runtime to process nodes (before the graph is created, see above)
const runtime = new Runtime('example-namespace', 'greeting-runtime', [GreetingNode], {
  sidecarAddress: process.env.EXOSPHERE_SIDECAR_ADDRESS,
});
const serving = runtime.start();
await runtime.waitUntilRegistered();

// 4. Create the graph
await sm.upsertGraph('greeting-workflow', nodes, {}, undefined, { required_keys: ['name'] });

// 6. Trigger the workflow
const store = { name: 'World' };
const { run_id } = await sm.trigger('greeting-workflow', { name: 'World' }, store);

// 7. Wait for the run, show its result and stop
const run = await sm.waitForRun(run_id, 30000);
for (const state of run.states) {
  console.log(`${state.identifier}: ${state.status} ${state.outputs.greeting ?? state.error}`);
}
await runtime.stop();
await serving;
sm.close();
process.exitCode = run.status === 'SUCCESS' ? 0 : 1;
