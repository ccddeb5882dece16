// StateManager against a real devserver and sidecar: the SDK's methods with their error texts,
// and what the sidecar adds (stored policies in getGraph, cron triggers, run inspection).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import * as grpc from '@grpc/grpc-js';
import { BaseNode, logger, Runtime, SidecarError, StateManager } from 'exosphere-sidecar';
import { z } from 'zod';

import { cleanUp } from '../support/processes.js';
import { Stack } from '../support/stack.js';

const NAMESPACE = 'sm-e2e';

class Shout extends BaseNode {
  static override name = 'shout';
  static override Inputs = z.object({ word: z.string() });
  static override Outputs = z.object({ loud: z.string() });
  static override Secrets = z.object({ token: z.string() });
  async execute() {
    return { loud: `${this.inputs.word.toUpperCase()}${this.secrets.token.length}` };
  }
}

let stack: Stack;
let sm: StateManager;
let runtime: Runtime;
let serving: Promise<void>;

const GRAPH = [
  {
    node_name: 'shout',
    namespace: NAMESPACE,
    identifier: 'first',
    inputs: { word: '${{ store.word }}' },
    next_nodes: ['second'],
  },
  {
    node_name: 'shout',
    namespace: NAMESPACE,
    identifier: 'second',
    inputs: { word: '${{ first.outputs.loud }}-again' },
  },
];

before(async () => {
  logger.configure({ disabled: true });
  stack = await Stack.start();
  sm = new StateManager(NAMESPACE, { sidecarAddress: stack.address });
  runtime = new Runtime(NAMESPACE, 'sm-runtime', [Shout], { sidecarAddress: stack.address, handleSignals: false });
  serving = runtime.start();
  await runtime.waitUntilRegistered(20000);
});

after(async () => {
  await runtime?.stop(5000);
  await serving;
  sm?.close();
  await cleanUp();
  logger.configure({ disabled: false });
});

describe('StateManager', () => {
  it('upserts a graph, returns it as the state manager does and reads back the stored policies', async () => {
    const upserted = await sm.upsertGraph(
      'shout-graph',
      GRAPH,
      { token: 'abc' },
      { max_retries: 5, strategy: 'LINEAR_FULL_JITTER', backoff_factor: 300, exponent: 3, max_delay: 9000 },
      { required_keys: ['word'], default_values: { spare: 'x' } },
      30,
      1,
      [{ expression: '0 3 * * *' }, { type: 'CRON', value: { expression: '*/30 * * * *' } }],
    );
    assert.equal(upserted.validation_status, 'VALID');
    assert.deepEqual(upserted.validation_errors, []);
    assert.deepEqual(upserted.secrets, { token: true });

    const graph = await sm.getGraph('shout-graph');
    assert.equal(graph.validation_status, 'VALID');
    assert.equal(graph.name, 'shout-graph');
    assert.deepEqual(
      graph.nodes.map((node) => [node.identifier, node.node_name, node.inputs, node.next_nodes]),
      [
        ['first', 'shout', { word: '${{ store.word }}' }, ['second']],
        ['second', 'shout', { word: '${{ first.outputs.loud }}-again' }, []],
      ],
    );
    assert.deepEqual(graph.retry_policy, {
      max_retries: 5,
      strategy: 'LINEAR_FULL_JITTER',
      backoff_factor: 300,
      exponent: 3,
      max_delay: 9000,
    });
    assert.deepEqual(graph.store_config, { required_keys: ['word'], default_values: { spare: 'x' } });
    assert.deepEqual(
      graph.triggers.map((trigger) => trigger.value.expression).sort(),
      ['*/30 * * * *', '0 3 * * *'],
    );
    assert.ok(graph.created_at.length > 0 && graph.updated_at.length > 0);
  });

  it('triggers a run, waits for it and inspects it', async () => {
    const triggered = await sm.trigger('shout-graph', {}, { word: 'hey' });
    assert.equal(triggered.status, 'CREATED');
    assert.match(triggered.run_id, /^[0-9a-f-]{36}$/);
    const run = await sm.waitForRun(triggered.run_id, 30000);
    assert.equal(run.status, 'SUCCESS');
    assert.equal(run.graph_name, 'shout-graph');
    assert.deepEqual(
      run.states.map((state) => [state.identifier, state.status, state.inputs, state.outputs]),
      [
        ['first', 'SUCCESS', { word: 'hey' }, { loud: 'HEY3' }],
        ['second', 'SUCCESS', { word: 'HEY3-again' }, { loud: 'HEY3-AGAIN3' }],
      ],
    );
    const second = run.states[1]!;
    assert.deepEqual(second.parents, [{ identifier: 'first', state_id: run.states[0]!.state_id }]);

    const brief = await sm.getRunStates(triggered.run_id);
    assert.equal(brief.status, 'SUCCESS');
    assert.deepEqual(brief.states.map((state) => state.identifier), ['first', 'second']);
    const detailed = await sm.getRunStates(triggered.run_id, true);
    assert.deepEqual(detailed.states[1]!.outputs, { loud: 'HEY3-AGAIN3' });

    const runs = await sm.listRuns(1, 50);
    const listed = runs.runs.find((candidate) => candidate.run_id === triggered.run_id);
    assert.ok(listed, JSON.stringify(runs));
    assert.equal(listed.status, 'SUCCESS');
    assert.equal(listed.success_count, 2);
    assert.equal(listed.total_count, 2);
    assert.ok(runs.total >= 1);
  });

  it('waitForRun gives up after its timeout while a delayed run is pending', async () => {
    const delayed = await sm.trigger('shout-graph', {}, { word: 'later' }, 600000);
    await assert.rejects(sm.waitForRun(delayed.run_id, 300), (error: unknown) => {
      assert.ok(error instanceof SidecarError);
      assert.equal(error.code, grpc.status.DEADLINE_EXCEEDED);
      assert.match(error.message, /^Failed to wait for run: DEADLINE_EXCEEDED /);
      return true;
    });
    const states = await sm.getRunStates(delayed.run_id);
    assert.equal(states.status, 'PENDING');
    assert.deepEqual(states.states.map((state) => state.status), ['CREATED']);
  });

  it('reports an INVALID graph with the SDK text', async () => {
    await assert.rejects(
      sm.upsertGraph('ghost-graph', [{ node_name: 'ghost', namespace: NAMESPACE, identifier: 'g', inputs: {} }], {}),
      // The state manager lists the missing node once per check that needs it.
      { message: /^Graph validation failed: INVALID and errors: \["Node ghost in namespace sm-e2e does not exist\.",/ },
    );
    await assert.rejects(
      sm.upsertGraph('no-secret-graph', [GRAPH[0]!].map((node) => ({ ...node, next_nodes: [] })), {}, undefined, { required_keys: ['word'] }),
      { message: 'Graph validation failed: INVALID and errors: ["Secret token is required but not present in the graph template"]' },
    );
  });

  it('reports refused requests with the SDK prefixes and the sidecar status', async () => {
    await assert.rejects(
      sm.upsertGraph('two-roots', [
        { node_name: 'shout', namespace: NAMESPACE, identifier: 'a', inputs: { word: 'a' } },
        { node_name: 'shout', namespace: NAMESPACE, identifier: 'b', inputs: { word: 'b' } },
      ], { token: 't' }),
      (error: unknown) => {
        assert.ok(error instanceof SidecarError);
        assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
        assert.match(error.message, /^Failed to upsert graph: INVALID_ARGUMENT .*exactly one root node/s);
        return true;
      },
    );
    await assert.rejects(sm.getGraph('missing-graph'), {
      message: /^Failed to get graph: NOT_FOUND .*Graph template missing-graph not found in namespace sm-e2e/,
    });
    await assert.rejects(sm.trigger('missing-graph'), { message: /^Failed to trigger state: NOT_FOUND / });
    await assert.rejects(sm.trigger('shout-graph', {}, {}), {
      message: /^Failed to trigger state: INVALID_ARGUMENT .*Dependent word not found in store for root node first \(state manager: HTTP 400\)$/,
    });
  });

  it('checks values client-side that the protocol cannot carry', async () => {
    await assert.rejects(sm.trigger('shout-graph', { word: 5 as unknown as string }), {
      name: 'TypeError',
      message: 'inputs["word"] must be a string (v1 is strings only), got number',
    });
    await assert.rejects(
      sm.upsertGraph('bad', [{ node_name: 'shout', namespace: NAMESPACE, identifier: 'x', inputs: { word: 1 } }], {}),
      { message: 'Graph node "x": input "word" must be a string (v1 is strings only), got number' },
    );
    await assert.rejects(sm.upsertGraph('bad', GRAPH, {}, { strategy: 'SOMETIMES' as 'FIXED' }), {
      message: /^retryPolicy.strategy "SOMETIMES" is not one of EXPONENTIAL, /,
    });
  });
});
