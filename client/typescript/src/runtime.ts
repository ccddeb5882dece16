import { hostname } from 'node:os';

import * as grpc from '@grpc/grpc-js';
import type { ZodObject } from 'zod';

import { ReconnectBackoff } from './internal/backoff.js';
import { warnIgnoredOptions } from './internal/ignored_options.js';
import type {
  HelloMessage,
  NodeDefinitionMessage,
  Outcome,
  RegistrationMessage,
  TaskMessage,
  WelcomeMessage,
} from './internal/messages.js';
import { newNodeHostClient, resolveSidecarAddress, resolveWorkerToken } from './internal/proto.js';
import { describeOutcome, WorkerSession, type SessionListener } from './internal/session.js';
import { toStruct } from './internal/struct.js';
import { fieldNames, flatJsonSchema, isStringField, isZodObjectSchema } from './internal/zod_inspect.js';
import { logger } from './logger.js';
import { BaseNode } from './node/BaseNode.js';
import { PruneSignal, ReQueueAfterSignal } from './signals.js';

export interface RuntimeOptions {
  /**
   * Where the sidecar listens: "unix:/path/to.sock" (or just "/path/to.sock") or "host:port".
   * Default: EXOSPHERE_SIDECAR_ADDRESS, else "unix:/tmp/exosphere-sidecar.sock".
   */
  sidecarAddress?: string;
  /** How many tasks run at once (the sidecar's slots for this worker). Default 4. */
  workers?: number;
  /** Sent as `x-exosphere-worker-token` when the sidecar requires one. Default: EXOSPHERE_WORKER_TOKEN. */
  workerToken?: string;
  /** Shown in the sidecar's logs. Default "<hostname>:<pid>". */
  workerLabel?: string;
  /**
   * On SIGTERM, finish the tasks in flight and stop (start() then resolves). Default true; set
   * false when the application handles signals itself and calls stop().
   */
  handleSignals?: boolean;
  /** How long stop() (and SIGTERM) lets tasks in flight finish before cancelling them. Default 30000. */
  shutdownGraceMs?: number;
  /** Reconnection backoff after the stream ends: first delay and cap, in ms. Defaults 200 and 10000. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;

  /** SDK option, ignored: the sidecar talks to the state manager. */
  stateManagerUri?: string;
  /** SDK option, ignored: the sidecar holds the API key. */
  key?: string;
  /** SDK option, ignored. */
  stateManagerVersion?: string;
  /** SDK option, validated as in the SDK (at least 1) and otherwise ignored: the sidecar claims per free slot. */
  batchSize?: number;
  /** SDK option, ignored: the sidecar polls the state manager. */
  pollInterval?: number;
}

/** A node class as the runtime takes it (a BaseNode subclass with static schemas and name). */
export type NodeClass = (new () => BaseNode<any, any, any>) & {
  Inputs: ZodObject<any>;
  Outputs: ZodObject<any>;
  Secrets: ZodObject<any>;
  name: string;
  deadlineMs?: number;
};

const LOG = 'Runtime';
const CLOSE_TIMEOUT_MS = 5000;

/**
 * Serves nodes through the local sidecar, with the SDK's constructor and `start()`. One gRPC stream
 * carries registration, tasks and results; the runtime reconnects with backoff when it breaks.
 */
export class Runtime {
  private readonly address: string;
  private readonly token: string;
  private readonly workers: number;
  private readonly handleSignals: boolean;
  private readonly shutdownGraceMs: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly nodeMapping: Map<string, NodeClass>;
  private readonly hello: HelloMessage;

  private phase: 'created' | 'running' | 'stopped' = 'created';
  private stopping = false;
  private session: WorkerSession | undefined;
  private client: grpc.Client | undefined;
  private registered = false;
  private registrationError = '';
  private finalError: Error | undefined;
  private loopDone: Promise<void> | undefined;
  private readonly running = new Set<Promise<void>>();
  private readonly registrationWaiters = new Set<() => void>();
  private wakeUp: (() => void) | undefined;
  private stopPromise: Promise<void> | undefined;
  private readonly onSigterm = () => {
    logger.info(LOG, 'SIGTERM received: finishing the tasks in flight, then stopping');
    void this.stop();
  };

  constructor(
    namespace: string,
    private readonly name: string,
    nodes: NodeClass[],
    options: RuntimeOptions = {},
  ) {
    // The SDK's checks, in its order and with its messages. Like the SDK (which started
    // Array.from({length: workers}) tasks), a fractional count is rounded down; NaN, which left
    // the SDK without workers, is refused as below 1.
    const workers = options.workers ?? 4;
    const batchSize = options.batchSize ?? 16;
    if (batchSize < 1) throw new Error('Batch size should be at least 1');
    if (!(workers >= 1)) throw new Error('Workers should be at least 1');
    // Infinity made the SDK throw a RangeError; it cannot be a slot count.
    if (!Number.isFinite(workers)) throw new Error('Workers should be a finite number');
    this.workers = Math.floor(workers);
    warnIgnoredOptions(LOG, options);
    validateNodes(nodes);

    this.address = resolveSidecarAddress(options.sidecarAddress);
    this.token = resolveWorkerToken(options.workerToken);
    this.handleSignals = options.handleSignals ?? true;
    this.shutdownGraceMs = options.shutdownGraceMs ?? 30000;
    this.initialBackoffMs = options.initialBackoffMs ?? 200;
    this.maxBackoffMs = options.maxBackoffMs ?? 10000;
    this.nodeMapping = new Map(nodes.map((node) => [node.name, node]));
    this.hello = {
      namespace,
      runtime_name: name,
      nodes: nodes.map(nodeDefinition),
      slots: this.workers,
      worker_label: options.workerLabel || `${hostname()}:${process.pid}`,
      // WorkerSession handles SidecarMessage.task_batch, one task at a time.
      accepts_task_batches: true,
    };
    logger.debug(
      LOG,
      `Initialized runtime with namespace: ${namespace}, name: ${name}, nodes: ${[...this.nodeMapping.keys()].join(', ')}`,
    );
  }

  /**
   * Connects to the sidecar and serves tasks until stop() (or SIGTERM) has finished the tasks in
   * flight; then resolves. Rejects when the sidecar refuses the Hello (invalid nodes, a conflict
   * with another worker, a wrong worker token). Reconnects on its own otherwise.
   */
  start(): Promise<void> {
    if (this.phase !== 'created') {
      return Promise.reject(
        new Error(this.phase === 'running' ? 'The runtime is already running' : 'The runtime was stopped; create a new one'),
      );
    }
    this.phase = 'running';
    if (this.handleSignals) process.once('SIGTERM', this.onSigterm);
    this.loopDone = this.loop().finally(() => {
      process.removeListener('SIGTERM', this.onSigterm);
      this.phase = 'stopped';
      this.notifyRegistrationWaiters();
    });
    return this.loopDone.then(() => {
      if (this.finalError) throw this.finalError;
    });
  }

  /**
   * Stops taking tasks, lets the tasks in flight finish and send their results (for up to
   * `graceMs`, default the `shutdownGraceMs` option), closes the stream and resolves once start()
   * has returned. Tasks still running after the grace period are cancelled; the sidecar gives them
   * to another worker.
   */
  stop(graceMs: number = this.shutdownGraceMs): Promise<void> {
    if (this.stopPromise) return this.stopPromise;
    this.stopping = true;
    this.wakeUp?.();
    if (this.phase === 'created') {
      this.phase = 'stopped';
      this.stopPromise = Promise.resolve();
      return this.stopPromise;
    }
    this.stopPromise = this.stopRunning(graceMs);
    return this.stopPromise;
  }

  /**
   * Resolves once the sidecar reports the nodes registered with the state manager (graphs using
   * them can be upserted from then on). Rejects after `timeoutMs` or when the runtime stops.
   */
  waitUntilRegistered(timeoutMs = 60000): Promise<void> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const check = () => {
        if (this.registered) {
          finish();
          resolve();
        } else if (this.phase === 'stopped') {
          finish();
          reject(this.finalError ?? new Error('The runtime stopped before its nodes were registered'));
        }
      };
      const finish = () => {
        if (timer) clearTimeout(timer);
        this.registrationWaiters.delete(check);
      };
      if (this.phase === 'created') {
        reject(new Error('The runtime was not started'));
        return;
      }
      timer = setTimeout(() => {
        finish();
        const last = this.registrationError ? `; last error: ${this.registrationError}` : '';
        reject(new Error(`The nodes were not registered with the state manager within ${timeoutMs} ms${last}`));
      }, timeoutMs);
      this.registrationWaiters.add(check);
      check();
    });
  }

  /** Whether start() was called and the runtime has not stopped yet. */
  get isRunning(): boolean {
    return this.phase === 'running' && !this.stopping;
  }

  /** Whether the sidecar currently reports the nodes registered. */
  get isRegistered(): boolean {
    return this.registered;
  }

  private async stopRunning(graceMs: number): Promise<void> {
    const session = this.session;
    if (session) {
      session.close();
      const closed = await withTimeout(session.whenClosed(), graceMs);
      if (!closed) {
        logger.warn(
          LOG,
          `Tasks still running after ${graceMs} ms; cancelling them (the sidecar gives them to another worker)`,
        );
        session.abort();
      }
    }
    const done = await withTimeout(this.loopDone ?? Promise.resolve(), CLOSE_TIMEOUT_MS);
    if (!done) {
      logger.warn(LOG, 'The sidecar did not close the stream; cancelling it');
      this.session?.abort();
      await this.loopDone;
    }
  }

  private async loop(): Promise<void> {
    const backoff = new ReconnectBackoff(this.initialBackoffMs, this.maxBackoffMs);
    const listener: SessionListener = {
      onWelcome: (welcome) => this.onWelcome(welcome),
      onRegistration: (registration) => this.onRegistration(registration),
      onTask: (session, task, signal) => this.onTask(session, task, signal),
    };
    while (!this.stopping) {
      // A fresh channel per attempt: a restarted sidecar is reached at once, not after the
      // channel's own reconnection backoff.
      this.client = newNodeHostClient(this.address);
      const session = new WorkerSession(this.client, this.hello, this.token, listener);
      this.session = session;
      logger.debug(LOG, `Connecting to the sidecar at ${this.address}`);
      const outcome = await session.run();
      this.session = undefined;
      this.client.close();
      this.client = undefined;
      this.registered = false;
      if (this.stopping) break;
      if (outcome.welcomed) {
        backoff.reset();
      } else if (isPermanentHelloError(outcome.code)) {
        this.finalError = new Error(
          `The sidecar at ${this.address} rejected the Hello of runtime "${this.name}": ${outcome.details}`,
        );
        (this.finalError as Error & { code?: number }).code = outcome.code;
        logger.error(LOG, this.finalError.message);
        break;
      }
      const delay = backoff.nextMs();
      const message = outcome.welcomed
        ? `The stream to the sidecar at ${this.address} ended (${describeOutcome(outcome)}); reconnecting in ${delay} ms`
        : `Could not connect to the sidecar at ${this.address} (${describeOutcome(outcome)}); reconnecting in ${delay} ms`;
      if (outcome.welcomed) logger.info(LOG, message);
      else logger.warn(LOG, message);
      await this.sleep(delay);
    }
    if (this.running.size > 0) {
      // Only cancelled tasks can still run here (stop() waits for the others); their results are
      // dropped and the sidecar has given their states to another worker.
      logger.warn(LOG, `${this.running.size} cancelled task(s) still running; their results will be dropped`);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private onWelcome(welcome: WelcomeMessage): void {
    logger.info(
      LOG,
      `Connected to the sidecar at ${this.address} (version ${welcome.sidecar_version}) as worker ` +
        `${welcome.worker_id} in namespace "${welcome.namespace}" with ${this.workers} slot(s)`,
    );
  }

  private onRegistration(registration: RegistrationMessage): void {
    this.registered = registration.registered;
    this.registrationError = registration.error;
    if (registration.registered) {
      logger.info(LOG, `Nodes of runtime "${this.name}" registered with the state manager`);
    } else {
      logger.warn(
        LOG,
        `Registering the nodes with the state manager failed: ${registration.error}; the sidecar retries in ${registration.retry_in_ms} ms`,
      );
    }
    this.notifyRegistrationWaiters();
  }

  private notifyRegistrationWaiters(): void {
    for (const check of [...this.registrationWaiters]) check();
  }

  private onTask(session: WorkerSession, task: TaskMessage, signal: AbortSignal): void {
    const promise = this.execute(task, signal).then(
      (outcome) => session.sendResult({ state_id: task.state_id, ...outcome }),
      (error: unknown) => {
        // execute() turns every failure into an outcome; this is only a safety net.
        logger.error(LOG, `Unexpected failure running state ${task.state_id}: ${String(error)}`);
        session.sendResult({ state_id: task.state_id, errored: { message: errorMessage(error) } });
      },
    );
    const tracked = promise.finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }

  private async execute(task: TaskMessage, signal: AbortSignal): Promise<Outcome> {
    const nodeClass = this.nodeMapping.get(task.node_name);
    if (!nodeClass) {
      logger.error(LOG, `Unknown node: ${task.node_name}`);
      return { errored: { message: 'Unknown node' } };
    }
    logger.info(LOG, `Executing state ${task.state_id} for node ${nodeClass.name}`);
    try {
      const node = new nodeClass();
      node._setAbortSignal(signal);
      const result = await node._execute(task.inputs, task.secrets);
      const outputs = Array.isArray(result) ? result : [result];
      logger.info(LOG, `Got ${outputs.length} output(s) for state ${task.state_id} for node ${nodeClass.name}`);
      return { executed: { outputs: outputs.map((fields) => ({ fields: fields as Record<string, string> })) } };
    } catch (error) {
      if (error instanceof PruneSignal) {
        logger.info(LOG, `Pruning state ${task.state_id} for node ${nodeClass.name}`);
        return { prune: { data: toStruct(error.data ?? {}) } };
      }
      if (error instanceof ReQueueAfterSignal) {
        const delayMs = Math.ceil(error.delayMs);
        if (!Number.isSafeInteger(delayMs)) {
          return { errored: { message: `ReQueueAfterSignal delay ${error.delayMs} ms is not a valid delay` } };
        }
        logger.info(LOG, `Requeuing state ${task.state_id} for node ${nodeClass.name} after ${delayMs}ms`);
        return { requeue_after: { delay_ms: delayMs } };
      }
      logger.error(LOG, `Error executing state ${task.state_id} for node ${nodeClass.name}: ${String(error)}`);
      return { errored: { message: errorMessage(error) } };
    }
  }
}

function isPermanentHelloError(code: grpc.status): boolean {
  return (
    code === grpc.status.INVALID_ARGUMENT ||
    code === grpc.status.FAILED_PRECONDITION ||
    code === grpc.status.UNAUTHENTICATED
  );
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || String(error);
  return String(error);
}

function withTimeout(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}

/** The SDK's node checks, with its messages, all collected into one error. */
function validateNodes(nodes: NodeClass[]): void {
  const errors: string[] = [];
  for (const node of nodes) {
    const nodeName = node?.name;
    if (!(node?.prototype instanceof BaseNode)) errors.push(`${nodeName} does not inherit from BaseNode`);
    const schemas: [label: 'Inputs' | 'Outputs' | 'Secrets', schema: unknown][] = [
      ['Inputs', node?.Inputs],
      ['Outputs', node?.Outputs],
      ['Secrets', node?.Secrets],
    ];
    for (const [label, schema] of schemas) {
      if (schema === undefined) errors.push(`${nodeName} missing ${label} schema`);
    }
    for (const [label, schema] of schemas) {
      // As in the SDK, a missing schema is also reported as not a ZodObject.
      if (!isZodObjectSchema(schema)) errors.push(`${nodeName}.${label} must be a ZodObject schema`);
    }
    for (const [label, schema] of schemas) {
      if (!isZodObjectSchema(schema)) continue;
      for (const field of fieldNames(schema)) {
        if (!isStringField(schema.shape[field])) errors.push(`${nodeName}.${label} field '${field}' must be string`);
      }
    }
  }
  const names = nodes.map((node) => node?.name);
  const duplicates = names.filter((name, index) => names.indexOf(name) !== index);
  if (duplicates.length) errors.push(`Duplicate node class names found: ${duplicates.join(', ')}`);
  if (errors.length) throw new Error('Node validation errors:\n' + errors.join('\n'));
}

function nodeDefinition(node: NodeClass): NodeDefinitionMessage {
  return {
    name: node.name,
    input_fields: fieldNames(node.Inputs),
    output_fields: fieldNames(node.Outputs),
    secret_fields: fieldNames(node.Secrets),
    inputs_schema_json: JSON.stringify(flatJsonSchema(node.Inputs, 'Inputs')),
    outputs_schema_json: JSON.stringify(flatJsonSchema(node.Outputs, 'Outputs')),
    deadline_ms: node.deadlineMs ?? 0,
  };
}
