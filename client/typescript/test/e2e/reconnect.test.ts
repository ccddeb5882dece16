// A Runtime survives the sidecar going away: a drained stop (SIGTERM, the task in flight
// finishes and is reported) and a crash (SIGKILL); it reconnects to the restarted sidecar and
// serves the next runs. A Hello the real sidecar refuses rejects start() with its message.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { BaseNode, logger, Runtime, StateManager } from 'exosphere-sidecar';
import { z } from 'zod';

import { cleanUp } from '../support/processes.js';
import { Stack } from '../support/stack.js';

const NAMESPACE = 'reconnect-e2e';

let entered: (() => void) | undefined;
let release: (() => void) | undefined;
const executions: string[] = [];

class Slow extends BaseNode {
  static override name = 'slow';
  static override Inputs = z.object({ label: z.string(), hold: z.string() });
  static override Outputs = z.object({ done: z.string() });
  async execute() {
    executions.push(this.inputs.label);
    if (this.inputs.hold === 'yes') {
      await new Promise<void>((resolve) => {
        release = resolve;
        entered?.();
      });
    }
    return { done: this.inputs.label };
  }
}

let stack: Stack;
let sm: StateManager;
let runtime: Runtime;
let serving: Promise<void>;

/** Calls `onDrain` when the runtime logs that the sidecar is draining. */
let onDrain: (() => void) | undefined;

before(async () => {
  logger.configure({
    writer: (_level, line) => {
      if (line.includes('The sidecar is draining')) onDrain?.();
    },
  });
  stack = await Stack.start();
  sm = new StateManager(NAMESPACE, { sidecarAddress: stack.address });
  runtime = new Runtime(NAMESPACE, 'reconnect-runtime', [Slow], {
    sidecarAddress: stack.address,
    handleSignals: false,
    initialBackoffMs: 50,
    maxBackoffMs: 500,
  });
  serving = runtime.start();
  await runtime.waitUntilRegistered(20000);
  await sm.upsertGraph(
    'slow-graph',
    [{ node_name: 'slow', namespace: NAMESPACE, identifier: 'slow', inputs: { label: '${{ store.label }}', hold: '${{ store.hold }}' } }],
    {},
    undefined,
    { required_keys: ['label', 'hold'] },
  );
});

after(async () => {
  release?.();
  await runtime?.stop(5000);
  await serving;
  sm?.close();
  await cleanUp();
  logger.configure({ writer: null });
});

async function runToSuccess(label: string): Promise<void> {
  const { run_id } = await sm.trigger('slow-graph', {}, { label, hold: 'no' });
  const run = await sm.waitForRun(run_id, 30000);
  assert.equal(run.status, 'SUCCESS', JSON.stringify(run.states));
  assert.deepEqual(run.states.map((state) => state.outputs), [{ done: label }]);
}

describe('reconnection to a restarted sidecar', () => {
  it('finishes the task in flight when the sidecar drains, then serves the restarted sidecar', async () => {
    const holding = new Promise<void>((resolve) => (entered = resolve));
    const { run_id } = await sm.trigger('slow-graph', {}, { label: 'held', hold: 'yes' });
    await holding;
    // The task is released once the runtime got the Drain; the sidecar waits for its result
    // before it exits.
    onDrain = () => release!();
    stack.sidecar.signalProcess('SIGTERM');
    assert.equal(await stack.sidecar.waitForExit(30000), 0, stack.sidecar.output());
    await stack.startSidecar();
    const run = await sm.waitForRun(run_id, 30000);
    assert.equal(run.status, 'SUCCESS', JSON.stringify(run.states));
    assert.deepEqual(run.states.map((state) => [state.status, state.outputs]), [['SUCCESS', { done: 'held' }]]);
    assert.deepEqual(executions.filter((label) => label === 'held'), ['held']);
    await runToSuccess('after-drain');
  });

  it('reconnects after the sidecar crashed', async () => {
    stack.sidecar.signalProcess('SIGKILL');
    await stack.sidecar.waitForExit();
    await stack.startSidecar();
    await runToSuccess('after-crash');
    assert.ok(executions.includes('after-crash'));
  });
});

describe('a Hello the sidecar refuses', () => {
  it('rejects start() with the sidecar message for an invalid node name', async () => {
    class BadName extends BaseNode {
      static override name = 'bad name!';
      async execute() {
        return {};
      }
    }
    const refused = new Runtime(NAMESPACE, 'refused-runtime', [BadName], { sidecarAddress: stack.address, handleSignals: false });
    await assert.rejects(refused.start(), {
      message: /^The sidecar at unix:.* rejected the Hello of runtime "refused-runtime": Hello\.nodes\[0\]\.name "bad name!" is not a valid name/,
      code: 3,
    });
  });

  it('rejects start() for a node another worker serves with a different definition', async () => {
    class OtherSlow extends BaseNode {
      static override name = 'slow';
      static override Inputs = z.object({ label: z.string() });
      static override Outputs = z.object({ done: z.string() });
      async execute() {
        return { done: 'never' };
      }
    }
    const conflicting = new Runtime(NAMESPACE, 'reconnect-runtime', [OtherSlow], { sidecarAddress: stack.address, handleSignals: false });
    await assert.rejects(conflicting.start(), (error: Error & { code?: number }) => {
      assert.equal(error.code, 9);
      assert.match(error.message, /rejected the Hello of runtime "reconnect-runtime": .*slow/);
      return true;
    });
  });
});

describe('a node deadline', () => {
  it('cancels the task when the deadline passes; the state is errored and the node sees the abort', async () => {
    let aborted: Promise<string> | undefined;
    class Stuck extends BaseNode {
      static override name = 'stuck';
      static override deadlineMs = 300;
      static override Inputs = z.object({ x: z.string() });
      async execute() {
        const signal = this.abortSignal;
        aborted = new Promise((resolve) => signal.addEventListener('abort', () => resolve(String(signal.reason?.message))));
        await aborted;
        return {};
      }
    }
    const stuckRuntime = new Runtime(NAMESPACE, 'stuck-runtime', [Stuck], { sidecarAddress: stack.address, handleSignals: false });
    const stuckServing = stuckRuntime.start();
    try {
      await stuckRuntime.waitUntilRegistered(20000);
      await sm.upsertGraph('stuck-graph', [{ node_name: 'stuck', namespace: NAMESPACE, identifier: 'stuck', inputs: { x: 'y' } }], {}, {
        max_retries: 0,
      });
      const { run_id } = await sm.trigger('stuck-graph');
      const run = await sm.waitForRun(run_id, 30000);
      assert.equal(run.status, 'FAILED');
      assert.deepEqual(run.states.map((state) => state.status), ['ERRORED']);
      assert.match(run.states[0]!.error, /deadline exceeded after 300 ms/);
      assert.match(await aborted!, /^deadline exceeded after 300 ms/);
    } finally {
      await stuckRuntime.stop(5000);
      await stuckServing;
    }
  });
});
