// The examples of the official SDK's README (examples/typescript), end to end against a real
// exosphere-devserver and exosphere-sidecar: the complete programs as child processes, the node
// classes served by an in-process Runtime.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { APINode } from '#examples/api_node.js';
import { ConditionalNode } from '#examples/conditional_node.js';
import { ConfigurableNode } from '#examples/configurable_node.js';
import { RobustNode } from '#examples/robust_node.js';
import { logger, Runtime, StateManager, type RunState } from 'exosphere-sidecar';

import { EXAMPLES_DIR } from '../support/paths.js';
import { cleanUp, startProcess } from '../support/processes.js';
import { Stack } from '../support/stack.js';

const NAMESPACE = 'examples';
let stack: Stack;
let sm: StateManager;
let runtime: Runtime | undefined;
let serving: Promise<void> | undefined;

/** When each should_retry=true execution of the conditional node started. */
const requeuedRuns: number[] = [];
const requeueWaiters: (() => void)[] = [];

/** The README's ConditionalNode, observed: records when a requeueing execution happens. */
class ObservedConditionalNode extends ConditionalNode {
  static override name = ConditionalNode.name;
  override async execute() {
    if (this.inputs.should_retry === 'true') {
      requeuedRuns.push(Date.now());
      for (const waiter of requeueWaiters.splice(0)) waiter();
    }
    return super.execute();
  }
}

function executions(count: number): Promise<void> {
  if (requeuedRuns.length >= count) return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => (requeuedRuns.length >= count ? resolve() : requeueWaiters.push(check));
    requeueWaiters.push(check);
  });
}

/** A local stand-in for the API the secrets example calls. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
const seenRequests: Seen[] = [];
let api: Server;
let apiUrl = '';

function single(states: RunState[], identifier: string): RunState {
  const matching = states.filter((state) => state.identifier === identifier);
  assert.equal(matching.length, 1, JSON.stringify(states));
  return matching[0]!;
}

before(async () => {
  logger.configure({ disabled: true });
  stack = await Stack.start();
  sm = new StateManager(NAMESPACE, { sidecarAddress: stack.address });
  api = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      seenRequests.push({ method: request.method!, url: request.url!, headers: request.headers, body });
      response.setHeader('Content-Type', 'application/json');
      response.end(JSON.stringify({ ok: true, received: JSON.parse(body) }));
    });
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;

  runtime = new Runtime(NAMESPACE, 'examples-runtime', [ConfigurableNode, RobustNode, APINode, ObservedConditionalNode], {
    sidecarAddress: stack.address,
    handleSignals: false,
  });
  serving = runtime.start();
  await runtime.waitUntilRegistered(20000);
});

after(async () => {
  await runtime?.stop(5000);
  await serving;
  sm?.close();
  await new Promise((resolve) => api?.close(resolve));
  await cleanUp();
  logger.configure({ disabled: false });
});

describe('examples of the SDK README', () => {
  it('sample node: the program serves its node until SIGTERM, then exits 0', async () => {
    const worker = startProcess('sample_node', process.execPath, [join(EXAMPLES_DIR, 'sample_node.js')], stack.workerEnv());
    await worker.waitForLine(/Nodes of runtime "DataProcessor" registered with the state manager/);
    const project = new StateManager('MyProject', { sidecarAddress: stack.address });
    try {
      await project.upsertGraph(
        'sample-graph',
        [{ node_name: 'sample-node', namespace: 'MyProject', identifier: 'sample', inputs: { name: 'Ada', data: 'payload' } }],
        {},
      );
      const { run_id } = await project.trigger('sample-graph');
      const run = await project.waitForRun(run_id, 30000);
      assert.equal(run.status, 'SUCCESS');
      assert.deepEqual(single(run.states, 'sample').outputs, { message: 'success', processed_data: 'completed:payload' });
      await worker.waitForLine('Processing data for: Ada');
    } finally {
      project.close();
    }
    worker.signalProcess('SIGTERM');
    assert.equal(await worker.waitForExit(), 0, worker.output());
    assert.ok(worker.stdout.some((line) => line.includes('SIGTERM received')), worker.output());
  });

  it('configurable node: cuts the text to max_length', async () => {
    await sm.upsertGraph(
      'configurable-graph',
      [{ node_name: 'configurable-node', namespace: NAMESPACE, identifier: 'cut', inputs: { text: 'Hello, sidecar', max_length: '5' } }],
      {},
    );
    const { run_id } = await sm.trigger('configurable-graph');
    const run = await sm.waitForRun(run_id, 30000);
    assert.equal(run.status, 'SUCCESS');
    assert.deepEqual(single(run.states, 'cut').outputs, { result: 'Hello', length: '5' });
  });

  it('robust node: the error reaches the state manager and the retry policy applies', async () => {
    await sm.upsertGraph(
      'robust-graph',
      [{ node_name: 'robust-node', namespace: NAMESPACE, identifier: 'robust', inputs: { data: 'x' } }],
      {},
      { max_retries: 1, strategy: 'FIXED', backoff_factor: 50 },
    );
    const { run_id } = await sm.trigger('robust-graph');
    const run = await sm.waitForRun(run_id, 30000);
    assert.equal(run.status, 'FAILED');
    assert.deepEqual(
      run.states.map((state) => [state.identifier, state.status, state.error]),
      [
        ['robust', 'RETRY_CREATED', 'This is a test error'],
        ['robust', 'ERRORED', 'This is a test error'],
      ],
    );
  });

  it('API node: gets its secrets and calls the endpoint they name', async () => {
    await sm.upsertGraph(
      'api-graph',
      [{ node_name: 'api-node', namespace: NAMESPACE, identifier: 'api', inputs: { user_id: 'u-42', query: 'status?' } }],
      { api_key: 'key-123', api_endpoint: apiUrl, database_url: 'postgres://db.invalid/app', unrelated: 'never sent' },
    );
    const { run_id } = await sm.trigger('api-graph');
    const run = await sm.waitForRun(run_id, 30000);
    assert.equal(run.status, 'SUCCESS', JSON.stringify(run.states));
    assert.equal(seenRequests.length, 1);
    const request = seenRequests[0]!;
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/process');
    assert.equal(request.headers.authorization, 'Bearer key-123');
    assert.deepEqual(JSON.parse(request.body), { user_id: 'u-42', query: 'status?' });
    const outputs = single(run.states, 'api').outputs;
    assert.equal(outputs.status, 'success');
    assert.deepEqual(JSON.parse(outputs.response!), { ok: true, received: { user_id: 'u-42', query: 'status?' } });
  });

  it('conditional node: processes, prunes, and re-enqueues after 5 s', async () => {
    await sm.upsertGraph(
      'conditional-graph',
      [
        {
          node_name: 'conditional-node',
          namespace: NAMESPACE,
          identifier: 'cond',
          inputs: { data: '${{ store.data }}', should_retry: '${{ store.should_retry }}' },
        },
      ],
      {},
      undefined,
      { required_keys: ['data', 'should_retry'] },
    );
    const requeue = await sm.trigger('conditional-graph', {}, { data: 'later', should_retry: 'true' });
    const processed = await sm.trigger('conditional-graph', {}, { data: 'x', should_retry: 'false' });
    const pruned = await sm.trigger('conditional-graph', {}, { data: 'invalid', should_retry: 'false' });

    const processedRun = await sm.waitForRun(processed.run_id, 30000);
    assert.equal(processedRun.status, 'SUCCESS');
    assert.deepEqual(single(processedRun.states, 'cond').outputs, { result: 'Processed: x' });
    const prunedRun = await sm.waitForRun(pruned.run_id, 30000);
    assert.equal(prunedRun.status, 'SUCCESS');
    assert.equal(single(prunedRun.states, 'cond').status, 'PRUNED');

    // The re-enqueued state runs again, 5 s later, and its run stays pending meanwhile.
    await executions(2);
    assert.ok(requeuedRuns[1]! - requeuedRuns[0]! >= 4900, `re-run after ${requeuedRuns[1]! - requeuedRuns[0]!} ms`);
    const pending = await sm.getRunStates(requeue.run_id);
    assert.equal(pending.status, 'PENDING');
    assert.equal(pending.states.length, 1);
  });

  it('greeting: the complete example creates the graph, triggers it and prints the greeting', async () => {
    const program = startProcess('greeting', process.execPath, [join(EXAMPLES_DIR, 'greeting.js')], stack.workerEnv());
    assert.equal(await program.waitForExit(60000), 0, program.output());
    assert.ok(program.stdout.includes('greeter: SUCCESS Hello, World!'), program.output());
  });
});
