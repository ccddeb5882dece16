/**
 * An in-process stand-in for the sidecar's NodeHost service (grpc-js server on a unix socket in a
 * temporary directory), scripted by the tests: it records what the worker sends and sends what
 * the test tells it to.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

import { protoRootForTests } from './paths.js';

export type WorkerMessage = {
  kind: 'hello' | 'result' | 'set_slots';
  hello?: any;
  result?: any;
  set_slots?: { slots: number };
};

const DEFAULT_TIMEOUT_MS = 10000;

function loadNodeHost(): grpc.ServiceDefinition {
  const definition = protoLoader.loadSync(['exosphere/sidecar/v1/node_host.proto'], {
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [protoRootForTests()],
  });
  return (grpc.loadPackageDefinition(definition) as any).exosphere.sidecar.v1.NodeHost.service;
}

/** Resolves when `condition` holds, re-checked by `poke()`; rejects after a timeout. */
class Waiters {
  private readonly waiters = new Set<() => void>();

  poke(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  until<T>(condition: () => T | undefined, what: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = condition();
        if (value !== undefined) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

function taskMessage(stateId: string, nodeName: string, inputs: Record<string, string>, secrets: Record<string, string>): object {
  return { state_id: stateId, node_name: nodeName, identifier: 'id', inputs, secrets };
}

export class FakeConnection {
  readonly received: WorkerMessage[] = [];
  readonly metadata: grpc.Metadata;
  halfClosed = false;
  cancelled = false;
  private ended = false;
  private readCursor = 0;
  private readonly waiters = new Waiters();

  constructor(private readonly call: grpc.ServerDuplexStream<any, any>) {
    this.metadata = call.metadata;
    call.on('data', (message: WorkerMessage) => {
      this.received.push(message);
      this.waiters.poke();
    });
    // Like the sidecar, ends the stream once the worker has half-closed it.
    call.on('end', () => {
      this.halfClosed = true;
      this.finish();
      this.waiters.poke();
    });
    call.on('cancelled', () => {
      this.cancelled = true;
      this.waiters.poke();
    });
    call.on('error', () => undefined);
  }

  /** The next message not yet taken by nextMessage, optionally of one kind (others are skipped). */
  nextMessage(kind?: WorkerMessage['kind'], timeoutMs?: number): Promise<WorkerMessage> {
    return this.waiters.until(
      () => {
        while (this.readCursor < this.received.length) {
          const message = this.received[this.readCursor++]!;
          if (!kind || message.kind === kind) return message;
        }
        return undefined;
      },
      `a ${kind ?? 'worker'} message`,
      timeoutMs,
    );
  }

  /** Waits for the result of one state, wherever it is in the stream. */
  resultFor(stateId: string, timeoutMs?: number): Promise<any> {
    return this.waiters.until(
      () => this.received.find((message) => message.kind === 'result' && message.result.state_id === stateId)?.result,
      `the result for ${stateId}`,
      timeoutMs,
    );
  }

  whenHalfClosed(timeoutMs?: number): Promise<true> {
    return this.waiters.until(() => (this.halfClosed ? true : undefined), 'the half-close', timeoutMs);
  }

  whenCancelled(timeoutMs?: number): Promise<true> {
    return this.waiters.until(() => (this.cancelled ? true : undefined), 'the cancellation', timeoutMs);
  }

  send(message: object): void {
    this.call.write(message);
  }

  welcome(maxMessageBytes = 4 * 1024 * 1024): void {
    this.send({ welcome: { worker_id: 'w-1', namespace: 'ns', sidecar_version: 'fake', max_message_bytes: maxMessageBytes } });
  }

  register(registered = true, error = ''): void {
    this.send({ registration: { registered, error, retry_in_ms: registered ? 0 : 1000 } });
  }

  task(stateId: string, nodeName: string, inputs: Record<string, string>, secrets: Record<string, string> = {}): void {
    this.send({ task: taskMessage(stateId, nodeName, inputs, secrets) });
  }

  /** Sends several tasks in one TaskBatch message, in the given order. */
  taskBatch(tasks: [stateId: string, nodeName: string, inputs: Record<string, string>, secrets?: Record<string, string>][]): void {
    this.send({
      task_batch: { tasks: tasks.map(([stateId, nodeName, inputs, secrets = {}]) => taskMessage(stateId, nodeName, inputs, secrets)) },
    });
  }

  /** Ends the stream with OK. */
  finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.call.end();
  }

  /** Ends the stream with an error status. */
  fail(code: grpc.status, details: string): void {
    if (this.ended) return;
    this.ended = true;
    this.call.emit('error', { code, details });
  }
}

export class FakeSidecar {
  readonly connections: FakeConnection[] = [];
  private server: grpc.Server | undefined;
  private readonly waiters = new Waiters();
  private connectionCursor = 0;
  private readonly dir: string;
  readonly address: string;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'exo-fake-'));
    this.address = `unix:${join(this.dir, 'fake.sock')}`;
  }

  async start(): Promise<void> {
    const server = new grpc.Server();
    server.addService(loadNodeHost(), {
      Connect: (call: grpc.ServerDuplexStream<any, any>) => {
        this.connections.push(new FakeConnection(call));
        this.waiters.poke();
      },
    });
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(this.address, grpc.ServerCredentials.createInsecure(), (error) =>
        error ? reject(error) : resolve(),
      ),
    );
    this.server = server;
  }

  /** The next connection not yet taken. */
  nextConnection(timeoutMs?: number): Promise<FakeConnection> {
    return this.waiters.until(
      () => (this.connectionCursor < this.connections.length ? this.connections[this.connectionCursor++] : undefined),
      'a connection',
      timeoutMs,
    );
  }

  /** A connection whose Hello was answered with a Welcome (and, by default, a registration). */
  async acceptNext(register = true, maxMessageBytes?: number): Promise<FakeConnection> {
    const connection = await this.nextConnection();
    await connection.nextMessage('hello');
    connection.welcome(maxMessageBytes);
    if (register) connection.register();
    return connection;
  }

  /** Stops serving; open streams end with UNAVAILABLE. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.forceShutdown();
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
