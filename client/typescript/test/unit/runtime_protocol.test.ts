// The Runtime against an in-process fake of the sidecar's NodeHost service: what it sends, how it
// answers each kind of sidecar message, and how it reconnects, stops and fails.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';

import * as grpc from '@grpc/grpc-js';
import { BaseNode, logger, PruneSignal, ReQueueAfterSignal, Runtime, type RuntimeOptions } from 'exosphere-sidecar';
import { z } from 'zod';

import { FakeSidecar, type FakeConnection } from '../support/fake_sidecar.js';

// Keeps the test output readable; the runtime logs every task.
before(() => logger.configure({ disabled: true }));
after(() => logger.configure({ disabled: false }));

/** Resolves when release() is called; lets a test hold a node in execute(). */
class Gate {
  private waiters: (() => void)[] = [];
  entered = 0;
  private enteredWaiters: (() => void)[] = [];
  wait(): Promise<void> {
    this.entered += 1;
    for (const waiter of this.enteredWaiters.splice(0)) waiter();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  release(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
  whenEntered(count = 1): Promise<void> {
    if (this.entered >= count) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => (this.entered >= count ? resolve() : this.enteredWaiters.push(check));
      this.enteredWaiters.push(check);
    });
  }
}

let gate = new Gate();
let lastAbortSignal: AbortSignal | undefined;

class Echo extends BaseNode {
  static override name = 'echo';
  static override Inputs = z.object({ text: z.string(), mode: z.string() });
  static override Outputs = z.object({ text: z.string() });
  static override Secrets = z.object({ salt: z.string() });
  async execute() {
    const text = `${this.inputs.text}${this.secrets.salt}`;
    switch (this.inputs.mode) {
      case 'fanout':
        return [{ text: `${text}1` }, { text: `${text}2` }];
      case 'none':
        return [];
      case 'prune':
        throw new PruneSignal({ reason: 'skip', n: 2, nested: { ok: true } });
      case 'requeue':
        throw new ReQueueAfterSignal(1500);
      case 'throw':
        throw new Error('node failed');
      case 'bad-output':
        return { text: 5 as unknown as string };
      case 'huge':
        return { text: 'x'.repeat(200_000) };
      case 'block':
        lastAbortSignal = this.abortSignal;
        await gate.wait();
        return { text: 'late' };
      default:
        return { text };
    }
  }
}

class Empty extends BaseNode {
  static override name = 'empty';
  async execute() {
    return null;
  }
}

let sidecar: FakeSidecar;
let runtimes: Runtime[] = [];

function newRuntime(options: RuntimeOptions = {}): Runtime {
  const runtime = new Runtime('ns', 'rt', [Echo, Empty], {
    sidecarAddress: sidecar.address,
    handleSignals: false,
    initialBackoffMs: 20,
    maxBackoffMs: 100,
    workers: 3,
    workerLabel: 'test-worker',
    ...options,
  });
  runtimes.push(runtime);
  return runtime;
}

/** Starts a runtime and returns its start() promise (observed, so a rejection is not unhandled). */
function start(runtime: Runtime): Promise<void> {
  const serving = runtime.start();
  serving.catch(() => undefined);
  return serving;
}

beforeEach(async () => {
  sidecar = new FakeSidecar();
  await sidecar.start();
  gate = new Gate();
  runtimes = [];
});

afterEach(async () => {
  gate.release();
  await Promise.all(runtimes.map((runtime) => runtime.stop(1000)));
  await sidecar.dispose();
});

describe('Hello', () => {
  it('declares the nodes, their fields and JSON schemas, the slots and the label', async () => {
    start(newRuntime({ workerToken: 'secret-token' }));
    const connection = await sidecar.nextConnection();
    const first = await connection.nextMessage();
    assert.equal(first.kind, 'hello');
    const hello = first.hello;
    assert.equal(hello.namespace, 'ns');
    assert.equal(hello.runtime_name, 'rt');
    assert.equal(hello.slots, 3);
    assert.equal(hello.worker_label, 'test-worker');
    assert.equal(hello.accepts_task_batches, true);
    assert.deepEqual(connection.metadata.get('x-exosphere-worker-token'), ['secret-token']);
    assert.deepEqual(
      hello.nodes.map((node: any) => [node.name, node.input_fields, node.output_fields, node.secret_fields]),
      [
        ['echo', ['text', 'mode'], ['text'], ['salt']],
        ['empty', [], [], []],
      ],
    );
    const inputs = JSON.parse(hello.nodes[0].inputs_schema_json);
    assert.deepEqual(inputs.properties, { text: { type: 'string' }, mode: { type: 'string' } });
    assert.equal(inputs.type, 'object');
    const outputs = JSON.parse(hello.nodes[0].outputs_schema_json);
    assert.deepEqual(outputs.properties, { text: { type: 'string' } });
  });
});

describe('tasks', () => {
  let connection: FakeConnection;
  beforeEach(async () => {
    start(newRuntime());
    connection = await sidecar.acceptNext();
  });

  it('answers each task with exactly one result of the right kind', async () => {
    const cases: [string, string, Record<string, string>][] = [
      ['s-plain', 'echo', { text: 'a', mode: 'plain' }],
      ['s-fanout', 'echo', { text: 'a', mode: 'fanout' }],
      ['s-none', 'echo', { text: 'a', mode: 'none' }],
      ['s-prune', 'echo', { text: 'a', mode: 'prune' }],
      ['s-requeue', 'echo', { text: 'a', mode: 'requeue' }],
      ['s-throw', 'echo', { text: 'a', mode: 'throw' }],
      ['s-null', 'empty', {}],
      ['s-unknown', 'nobody', {}],
    ];
    for (const [stateId, node, inputs] of cases) connection.task(stateId, node, inputs, { salt: '!' });
    const results = Object.fromEntries(
      await Promise.all(cases.map(async ([stateId]) => [stateId, await connection.resultFor(stateId)] as const)),
    );
    assert.deepEqual(results['s-plain'].executed.outputs, [{ fields: { text: 'a!' } }]);
    assert.deepEqual(results['s-fanout'].executed.outputs, [{ fields: { text: 'a!1' } }, { fields: { text: 'a!2' } }]);
    assert.equal(results['s-none'].outcome, 'executed');
    assert.deepEqual(results['s-none'].executed.outputs, []);
    assert.equal(results['s-null'].outcome, 'executed');
    assert.deepEqual(results['s-null'].executed.outputs, [{ fields: {} }]);
    assert.equal(results['s-prune'].outcome, 'prune');
    const data = results['s-prune'].prune.data.fields;
    assert.equal(data.reason.stringValue, 'skip');
    assert.equal(data.n.numberValue, 2);
    assert.equal(data.nested.structValue.fields.ok.boolValue, true);
    assert.equal(results['s-requeue'].outcome, 'requeue_after');
    assert.equal(results['s-requeue'].requeue_after.delay_ms, 1500);
    assert.equal(results['s-throw'].outcome, 'errored');
    assert.equal(results['s-throw'].errored.message, 'node failed');
    assert.equal(results['s-unknown'].errored.message, 'Unknown node');
    const resultCount = connection.received.filter((message) => message.kind === 'result').length;
    assert.equal(resultCount, cases.length);
  });

  it('runs every task of a TaskBatch once and answers each with exactly one result', async () => {
    const batch: [string, string, Record<string, string>][] = [
      ['b-plain', 'echo', { text: 'a', mode: 'plain' }],
      ['b-fanout', 'echo', { text: 'b', mode: 'fanout' }],
      ['b-throw', 'echo', { text: 'c', mode: 'throw' }],
      ['b-null', 'empty', {}],
      ['b-unknown', 'nobody', {}],
    ];
    connection.taskBatch(batch.map(([stateId, node, inputs]) => [stateId, node, inputs, { salt: '!' }]));
    assert.deepEqual((await connection.resultFor('b-plain')).executed.outputs, [{ fields: { text: 'a!' } }]);
    assert.deepEqual((await connection.resultFor('b-fanout')).executed.outputs, [{ fields: { text: 'b!1' } }, { fields: { text: 'b!2' } }]);
    assert.equal((await connection.resultFor('b-throw')).errored.message, 'node failed');
    assert.deepEqual((await connection.resultFor('b-null')).executed.outputs, [{ fields: {} }]);
    assert.equal((await connection.resultFor('b-unknown')).errored.message, 'Unknown node');
    // A single task afterwards still works, and its result comes after every one of the batch:
    // had a batch task run twice, its second result would show up in the count below.
    connection.task('s-after', 'echo', { text: 'd', mode: 'plain' }, { salt: '!' });
    await connection.resultFor('s-after');
    const ids = connection.received.filter((message) => message.kind === 'result').map((message) => message.result.state_id);
    assert.deepEqual([...ids].sort(), [...batch.map(([stateId]) => stateId), 's-after'].sort());
  });

  it('tracks the tasks of a batch one by one: cancelling one drops only its result', async () => {
    connection.taskBatch([
      ['b-block', 'echo', { text: 'a', mode: 'block' }, { salt: '!' }],
      ['b-plain', 'echo', { text: 'b', mode: 'plain' }, { salt: '!' }],
    ]);
    // resultFor first: it times out (gate.whenEntered does not) if the batch is not handled.
    await connection.resultFor('b-plain');
    await gate.whenEntered();
    connection.send({ cancel: { state_id: 'b-block', reason: 'DEADLINE_EXCEEDED', message: '' } });
    connection.task('s-after', 'echo', { text: 'c', mode: 'plain' }, { salt: '!' });
    await connection.resultFor('s-after');
    assert.equal(lastAbortSignal?.aborted, true);
    gate.release();
    connection.task('s-last', 'echo', { text: 'd', mode: 'plain' }, { salt: '!' });
    await connection.resultFor('s-last');
    const ids = connection.received.filter((message) => message.kind === 'result').map((message) => message.result.state_id);
    assert.deepEqual(ids, ['b-plain', 's-after', 's-last']);
  });

  it('turns zod failures into errored results with a readable message', async () => {
    connection.task('s-missing', 'echo', { text: 'a' }, { salt: '!' });
    connection.task('s-no-secret', 'echo', { text: 'a', mode: 'plain' }, {});
    connection.task('s-bad-output', 'echo', { text: 'a', mode: 'bad-output' }, { salt: '!' });
    assert.equal(
      (await connection.resultFor('s-missing')).errored.message,
      "echo: invalid Inputs: field 'mode': Required",
    );
    assert.equal(
      (await connection.resultFor('s-no-secret')).errored.message,
      "echo: invalid Secrets: field 'salt': Required",
    );
    assert.equal(
      (await connection.resultFor('s-bad-output')).errored.message,
      "echo: invalid Outputs: field 'text': Expected string, received number",
    );
  });

  it('sends an errored result instead of one larger than the sidecar accepts', async () => {
    // A second stream with a small limit in its Welcome.
    const small = await reconnectWithLimit(connection, 100_000);
    small.task('s-huge', 'echo', { text: 'a', mode: 'huge' }, { salt: '!' });
    const result = await small.resultFor('s-huge');
    assert.match(result.errored.message, /^The result is \d+ bytes, more than the sidecar's limit of 100000 bytes$/);
  });

  it('drops the result of a cancelled task and aborts its signal', async () => {
    connection.task('s-block', 'echo', { text: 'a', mode: 'block' }, { salt: '!' });
    await gate.whenEntered();
    connection.send({ cancel: { state_id: 's-block', reason: 'DEADLINE_EXCEEDED', message: '' } });
    connection.task('s-after', 'echo', { text: 'b', mode: 'plain' }, { salt: '!' });
    await connection.resultFor('s-after');
    assert.equal(lastAbortSignal?.aborted, true);
    assert.equal((lastAbortSignal?.reason as Error).message, 'deadline exceeded');
    gate.release();
    // The blocked node returns now; a later task's result proves the stream went on without it.
    connection.task('s-last', 'echo', { text: 'c', mode: 'plain' }, { salt: '!' });
    await connection.resultFor('s-last');
    const ids = connection.received.filter((message) => message.kind === 'result').map((message) => message.result.state_id);
    assert.deepEqual(ids, ['s-after', 's-last']);
  });

  async function reconnectWithLimit(current: FakeConnection, limit: number): Promise<FakeConnection> {
    current.fail(grpc.status.UNAVAILABLE, 'restarting');
    const next = await sidecar.nextConnection();
    await next.nextMessage('hello');
    next.welcome(limit);
    return next;
  }
});

describe('drain, reconnection and failures', () => {
  it('on Drain finishes the tasks in flight, sends their results, closes and reconnects', async () => {
    start(newRuntime());
    const connection = await sidecar.acceptNext();
    connection.task('s-block', 'echo', { text: 'a', mode: 'block' }, { salt: '!' });
    await gate.whenEntered();
    connection.send({ drain: { deadline_ms: 5000 } });
    // Still working: not closed while the task runs.
    connection.task('s-plain', 'echo', { text: 'b', mode: 'plain' }, { salt: '!' });
    await connection.resultFor('s-plain');
    assert.equal(connection.halfClosed, false);
    gate.release();
    assert.deepEqual((await connection.resultFor('s-block')).executed.outputs, [{ fields: { text: 'late' } }]);
    await connection.whenHalfClosed();
        const next = await sidecar.nextConnection();
    assert.equal((await next.nextMessage()).kind, 'hello');
  });

  it('reconnects when the stream ends with UNAVAILABLE and when the sidecar restarts', async () => {
    const runtime = newRuntime();
    start(runtime);
    const first = await sidecar.acceptNext();
    await runtime.waitUntilRegistered(5000);
    first.fail(grpc.status.UNAVAILABLE, 'draining');
    const second = await sidecar.acceptNext(false);
    assert.equal(runtime.isRegistered, false);
    second.register();
    await runtime.waitUntilRegistered(5000);

    // The sidecar goes away and comes back on the same socket.
    await sidecar.stop();
    await sidecar.start();
    const third = await sidecar.acceptNext();
    third.task('s-1', 'echo', { text: 'x', mode: 'plain' }, { salt: '?' });
    assert.deepEqual((await third.resultFor('s-1')).executed.outputs, [{ fields: { text: 'x?' } }]);
  });

  it('retries when the sidecar is full (RESOURCE_EXHAUSTED) or not there yet', async () => {
    await sidecar.stop();
    start(newRuntime());
    await sidecar.start();
    const refused = await sidecar.nextConnection();
    await refused.nextMessage('hello');
    refused.fail(grpc.status.RESOURCE_EXHAUSTED, 'too many workers');
    const accepted = await sidecar.nextConnection();
    assert.equal((await accepted.nextMessage()).kind, 'hello');
  });

  for (const code of [grpc.status.INVALID_ARGUMENT, grpc.status.FAILED_PRECONDITION, grpc.status.UNAUTHENTICATED]) {
    it(`rejects start() when the Hello is refused with ${grpc.status[code]}`, async () => {
      const runtime = newRuntime();
      const serving = start(runtime);
      const registered = runtime.waitUntilRegistered(5000);
      registered.catch(() => undefined);
      const connection = await sidecar.nextConnection();
      await connection.nextMessage('hello');
      connection.fail(code, 'Hello.nodes[0] "echo" is declared twice');
      await assert.rejects(serving, (error: Error & { code?: number }) => {
        assert.equal(
          error.message,
          `The sidecar at ${sidecar.address} rejected the Hello of runtime "rt": Hello.nodes[0] "echo" is declared twice`,
        );
        assert.equal(error.code, code);
        return true;
      });
      await assert.rejects(registered, /rejected the Hello/);
      assert.equal(sidecar.connections.length, 1);
    });
  }
});

describe('stopping', () => {
  it('stop() pauses, lets the task in flight finish, closes the stream and resolves start()', async () => {
    const runtime = newRuntime();
    const serving = start(runtime);
    const connection = await sidecar.acceptNext();
    connection.task('s-block', 'echo', { text: 'a', mode: 'block' }, { salt: '!' });
    await gate.whenEntered();
    const stopped = runtime.stop();
    assert.deepEqual((await connection.nextMessage('set_slots')).set_slots, { slots: 0 });
    assert.equal(connection.halfClosed, false);
    gate.release();
    assert.deepEqual((await connection.resultFor('s-block')).executed.outputs, [{ fields: { text: 'late' } }]);
    await connection.whenHalfClosed();
        await stopped;
    await serving;
    await assert.rejects(runtime.start(), { message: 'The runtime was stopped; create a new one' });
  });

  it('stop() cancels the stream when tasks outlast the grace period', async () => {
    const runtime = newRuntime();
    const serving = start(runtime);
    const connection = await sidecar.acceptNext();
    connection.task('s-block', 'echo', { text: 'a', mode: 'block' }, { salt: '!' });
    await gate.whenEntered();
    await runtime.stop(100);
    await serving;
    await connection.whenCancelled();
    assert.equal(lastAbortSignal?.aborted, true);
    assert.equal(connection.received.filter((message) => message.kind === 'result').length, 0);
  });

  it('stops on SIGTERM unless handleSignals is false', async () => {
    const before = process.listenerCount('SIGTERM');
    const quiet = newRuntime({ handleSignals: false });
    start(quiet);
    await sidecar.acceptNext();
    assert.equal(process.listenerCount('SIGTERM'), before);

    const runtime = newRuntime({ handleSignals: true });
    const serving = start(runtime);
    const connection = await sidecar.acceptNext();
    assert.equal(process.listenerCount('SIGTERM'), before + 1);
    process.emit('SIGTERM', 'SIGTERM');
    await connection.whenHalfClosed();
        await serving;
    assert.equal(process.listenerCount('SIGTERM'), before);
  });
});
