import * as grpc from '@grpc/grpc-js';

import { warnIgnoredOptions } from './internal/ignored_options.js';
import {
  callMetadata,
  newGraphsClient,
  resolveSidecarAddress,
  resolveWorkerToken,
  statusName,
} from './internal/proto.js';
import type { GraphNodeModel, RetryPolicyModel, RetryStrategyEnum, StoreConfigModel } from './models.js';
import type { GraphNode } from './types.js';

export interface StateManagerOptions {
  /** Where the sidecar listens; default EXOSPHERE_SIDECAR_ADDRESS, else "unix:/tmp/exosphere-sidecar.sock". */
  sidecarAddress?: string;
  /** Sent as `x-exosphere-worker-token` when the sidecar requires one. Default: EXOSPHERE_WORKER_TOKEN. */
  workerToken?: string;
  /** Deadline of calls that do not wait by design (all but upsertGraph and waitForRun), in ms. Default 30000. */
  callTimeoutMs?: number;
  /** SDK option, ignored: the sidecar talks to the state manager. */
  stateManagerUri?: string;
  /** SDK option, ignored: the sidecar holds the API key. */
  key?: string;
  /** SDK option, ignored. */
  stateManagerVersion?: string;
}

/** A retry policy as upsertGraph takes it: the SDK's model, every field optional, strategy also as a string. */
export type RetryPolicyInput = Partial<Omit<RetryPolicyModel, 'strategy'>> & {
  strategy?: RetryStrategyEnum | `${RetryStrategyEnum}`;
};

/** A cron trigger of a graph: `{ expression }` or the state manager's `{ type: "CRON", value: { expression } }`. */
export type CronTrigger = { expression: string } | { type?: 'CRON'; value: { expression: string } };

/**
 * A graph as the state manager returns it (the shape the SDK's upsertGraph and getGraph return,
 * typed `any` there: hence the index signature, so that code reading other fields compiles).
 */
export interface GraphResponse {
  [field: string]: any;
  name: string;
  namespace: string;
  nodes: {
    node_name: string;
    namespace: string;
    identifier: string;
    inputs: Record<string, string>;
    next_nodes: string[];
    unites: { identifier: string; strategy: 'ALL_SUCCESS' | 'ALL_DONE' } | null;
  }[];
  /** Secret names, each `true` (values are never returned). */
  secrets: Record<string, true>;
  retry_policy: {
    max_retries: number;
    strategy: string;
    backoff_factor: number;
    exponent: number;
    max_delay: number | null;
  };
  store_config: { required_keys: string[]; default_values: Record<string, string> };
  triggers: { type: 'CRON'; value: { expression: string } }[];
  validation_status: 'PENDING' | 'VALID' | 'INVALID';
  validation_errors: string[];
  created_at: string;
  updated_at: string;
}

export interface TriggerResponse {
  status: 'CREATED';
  run_id: string;
}

export type StateStatus =
  | 'CREATED'
  | 'QUEUED'
  | 'EXECUTED'
  | 'ERRORED'
  | 'NEXT_CREATED_ERROR'
  | 'SUCCESS'
  | 'PRUNED'
  | 'RETRY_CREATED';

export type RunStatus = 'PENDING' | 'SUCCESS' | 'FAILED';

export interface RunState {
  state_id: string;
  node_name: string;
  identifier: string;
  status: StateStatus;
  /** The error of an ERRORED, RETRY_CREATED or NEXT_CREATED_ERROR state ("" otherwise). */
  error: string;
  /** Filled by waitForRun and by getRunStates with details. */
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  /** Every ancestor, oldest first: the direct parent comes last. */
  parents: { identifier: string; state_id: string }[];
  created_at: string;
  updated_at: string;
}

export interface RunStates {
  run_id: string;
  graph_name: string;
  status: RunStatus;
  /** In creation order. */
  states: RunState[];
}

export interface RunSummary {
  run_id: string;
  graph_name: string;
  status: RunStatus;
  success_count: number;
  pending_count: number;
  errored_count: number;
  retried_count: number;
  total_count: number;
  created_at: string;
}

export interface RunList {
  /** Runs in the namespace, over all pages. */
  total: number;
  runs: RunSummary[];
}

/** A failed call to the sidecar; `code` is the gRPC status code, `details` the sidecar's message. */
export class SidecarError extends Error {
  constructor(
    message: string,
    public readonly code: grpc.status,
    public readonly details: string,
  ) {
    super(message);
    this.name = 'SidecarError';
  }
}

const RETRY_STRATEGIES = new Set([
  'EXPONENTIAL',
  'EXPONENTIAL_FULL_JITTER',
  'EXPONENTIAL_EQUAL_JITTER',
  'LINEAR',
  'LINEAR_FULL_JITTER',
  'LINEAR_EQUAL_JITTER',
  'FIXED',
  'FIXED_FULL_JITTER',
  'FIXED_EQUAL_JITTER',
]);

/**
 * Creates graphs, starts runs and watches them through the local sidecar, with the SDK's
 * constructor and methods (`upsertGraph`, `trigger`, `getGraph`) plus `waitForRun`,
 * `getRunStates` and `listRuns`.
 */
export class StateManager {
  private readonly address: string;
  private readonly token: string;
  private readonly callTimeoutMs: number;
  private client: grpc.Client | undefined;

  constructor(
    private readonly namespace: string,
    options: StateManagerOptions = {},
  ) {
    warnIgnoredOptions('StateManager', options);
    this.address = resolveSidecarAddress(options.sidecarAddress);
    this.token = resolveWorkerToken(options.workerToken);
    this.callTimeoutMs = options.callTimeoutMs ?? 30000;
  }

  /** Starts a run of a VALID graph. `startDelay` in ms. */
  async trigger(
    graphName: string,
    inputs?: Record<string, string>,
    store?: Record<string, string>,
    startDelay: number = 0,
  ): Promise<TriggerResponse> {
    const request = {
      namespace: this.namespace,
      graph_name: graphName,
      inputs: stringMap(inputs ?? {}, 'inputs'),
      store: stringMap(store ?? {}, 'store'),
      start_delay_ms: nonNegativeInteger(startDelay, 'startDelay'),
    };
    try {
      const response = await this.unary<{ run_id: string }>('TriggerRun', request, this.callTimeoutMs);
      return { status: 'CREATED', run_id: response.run_id };
    } catch (error) {
      throw failure('Failed to trigger state', error);
    }
  }

  async getGraph(graphName: string): Promise<GraphResponse> {
    try {
      const graph = await this.unary<ProtoGraph>(
        'GetGraph',
        { namespace: this.namespace, graph_name: graphName },
        this.callTimeoutMs,
      );
      return graphResponse(graph);
    } catch (error) {
      throw failure('Failed to get graph', error);
    }
  }

  /**
   * Creates or replaces a graph and waits until the state manager has validated it (the sidecar
   * waits; `pollingInterval` is accepted for the SDK's signature). `validationTimeout` is in
   * seconds, as in the SDK. Rejects when the graph is INVALID or validation does not finish in
   * time. `triggers` adds cron triggers (not in the SDK's TypeScript signature).
   */
  async upsertGraph(
    graphName: string,
    graphNodes: (GraphNodeModel | GraphNode)[],
    secrets: Record<string, string>,
    retryPolicy?: RetryPolicyInput,
    storeConfig?: Partial<StoreConfigModel>,
    validationTimeout: number = 60,
    pollingInterval: number = 1,
    triggers?: CronTrigger[],
  ): Promise<GraphResponse> {
    void pollingInterval;
    const request = {
      namespace: this.namespace,
      graph_name: graphName,
      nodes: graphNodes.map(graphNodeMessage),
      secrets: stringMap(secrets ?? {}, 'secrets'),
      retry_policy: retryPolicy === undefined ? null : retryPolicyMessage(retryPolicy),
      store_config: storeConfig === undefined ? null : storeConfigMessage(storeConfig),
      triggers: (triggers ?? []).map(cronTriggerMessage),
      validation_timeout_ms: Math.round(positiveNumber(validationTimeout, 'validationTimeout') * 1000),
    };
    let graph: ProtoGraph;
    try {
      graph = await this.unary<ProtoGraph>('UpsertGraph', request, validationTimeout * 1000 + this.callTimeoutMs);
    } catch (error) {
      if (error instanceof SidecarError && error.code === grpc.status.DEADLINE_EXCEEDED) {
        throw new SidecarError(
          `Graph validation check timed out after ${validationTimeout} seconds`,
          error.code,
          error.details,
        );
      }
      throw failure('Failed to upsert graph', error);
    }
    const response = graphResponse(graph);
    if (response.validation_status !== 'VALID') {
      throw new Error(
        `Graph validation failed: ${response.validation_status} and errors: ${JSON.stringify(response.validation_errors)}`,
      );
    }
    return response;
  }

  /**
   * Waits until no state of the run is CREATED, QUEUED or EXECUTED, then returns its states with
   * inputs and outputs. Rejects with a SidecarError (code DEADLINE_EXCEEDED) after `timeoutMs`.
   */
  async waitForRun(runId: string, timeoutMs: number = 60000): Promise<RunStates> {
    const request = {
      namespace: this.namespace,
      run_id: runId,
      timeout_ms: Math.round(positiveNumber(timeoutMs, 'timeoutMs')),
    };
    try {
      return runStates(await this.unary<ProtoRunStates>('WaitForRun', request, timeoutMs + this.callTimeoutMs));
    } catch (error) {
      throw failure('Failed to wait for run', error);
    }
  }

  /** The states of a run as they are now; with `includeDetails` also inputs, outputs and parents. */
  async getRunStates(runId: string, includeDetails: boolean = false): Promise<RunStates> {
    const request = { namespace: this.namespace, run_id: runId, include_details: includeDetails };
    try {
      return runStates(await this.unary<ProtoRunStates>('GetRunStates', request, this.callTimeoutMs));
    } catch (error) {
      throw failure('Failed to get run states', error);
    }
  }

  /** The runs of the namespace, newest first; `page` is 1-based, `pageSize` at most 1000. */
  async listRuns(page: number = 1, pageSize: number = 20): Promise<RunList> {
    const request = {
      namespace: this.namespace,
      page: nonNegativeInteger(page, 'page'),
      page_size: nonNegativeInteger(pageSize, 'pageSize'),
    };
    try {
      const response = await this.unary<{ total: number; runs: ProtoRun[] }>('ListRuns', request, this.callTimeoutMs);
      return {
        total: response.total,
        runs: response.runs.map((run) => ({ ...run, status: enumSuffix(run.status, 'RUN_STATUS_') as RunStatus })),
      };
    } catch (error) {
      throw failure('Failed to list runs', error);
    }
  }

  /** Closes the connection to the sidecar (a later call opens a new one). */
  close(): void {
    this.client?.close();
    this.client = undefined;
  }

  private unary<T>(method: string, request: object, timeoutMs: number): Promise<T> {
    if (!this.client) this.client = newGraphsClient(this.address);
    const client = this.client as unknown as Record<
      string,
      (
        request: object,
        metadata: grpc.Metadata,
        options: grpc.CallOptions,
        callback: (error: grpc.ServiceError | null, response: T) => void,
      ) => void
    >;
    return new Promise((resolve, reject) => {
      client[method]!.call(
        this.client,
        request,
        callMetadata(this.token),
        { deadline: Date.now() + timeoutMs },
        (error, response) => {
          if (error) reject(new SidecarError(error.details || error.message, error.code, error.details));
          else resolve(response);
        },
      );
    });
  }
}

// ---- conversions between the SDK's JSON shapes and the protocol's messages ----

interface ProtoGraph {
  namespace: string;
  graph_name: string;
  nodes: {
    node_name: string;
    namespace: string;
    identifier: string;
    inputs: Record<string, string>;
    next_nodes: string[];
    unites: { identifier: string; strategy: string } | null;
  }[];
  secret_names: string[];
  retry_policy: {
    max_retries?: number;
    strategy: string;
    backoff_factor_ms?: number;
    exponent?: number;
    max_delay_ms?: number;
  } | null;
  store_config: { required_keys: string[]; default_values: Record<string, string> } | null;
  triggers: { expression: string }[];
  validation_status: string;
  validation_errors: string[];
  created_at: string;
  updated_at: string;
}

interface ProtoRunStates {
  run_id: string;
  graph_name: string;
  status: string;
  states: (Omit<RunState, 'status'> & { status: string })[];
}

type ProtoRun = Omit<RunSummary, 'status'> & { status: string };

function failure(prefix: string, error: unknown): Error {
  if (error instanceof SidecarError) {
    return new SidecarError(`${prefix}: ${statusName(error.code)} ${error.details}`, error.code, error.details);
  }
  return error instanceof Error ? error : new Error(String(error));
}

function enumSuffix(value: string, prefix: string): string {
  return value.startsWith(prefix) ? value.slice(prefix.length) : value;
}

function stringMap(values: Record<string, unknown>, what: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (typeof value !== 'string') {
      throw new TypeError(`${what}["${key}"] must be a string (v1 is strings only), got ${typeof value}`);
    }
    result[key] = value;
  }
  return result;
}

function nonNegativeInteger(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative integer, got ${value}`);
  }
  return value;
}

function positiveNumber(value: number, what: string): number {
  if (!(typeof value === 'number' && value > 0 && Number.isFinite(value))) {
    throw new RangeError(`${what} must be a positive number, got ${value}`);
  }
  return value;
}

function graphNodeMessage(node: GraphNodeModel | GraphNode) {
  const inputs: Record<string, string> = {};
  for (const [key, value] of Object.entries(node.inputs ?? {})) {
    if (typeof value !== 'string') {
      throw new TypeError(
        `Graph node "${node.identifier}": input "${key}" must be a string (v1 is strings only), got ${typeof value}`,
      );
    }
    inputs[key] = value;
  }
  const unites = (node as GraphNodeModel).unites;
  return {
    node_name: node.node_name,
    namespace: node.namespace ?? '',
    identifier: node.identifier,
    inputs,
    next_nodes: node.next_nodes ?? [],
    unites: unites
      ? {
          identifier: unites.identifier,
          strategy: `UNITES_STRATEGY_${unites.strategy ?? 'ALL_SUCCESS'}`,
        }
      : null,
  };
}

function retryPolicyMessage(policy: RetryPolicyInput) {
  const strategy = policy.strategy ?? 'EXPONENTIAL';
  if (!RETRY_STRATEGIES.has(strategy)) {
    throw new RangeError(`retryPolicy.strategy "${strategy}" is not one of ${[...RETRY_STRATEGIES].join(', ')}`);
  }
  const message: Record<string, unknown> = { strategy: `RETRY_STRATEGY_${strategy}` };
  const numbers: [keyof RetryPolicyModel, string][] = [
    ['max_retries', 'max_retries'],
    ['backoff_factor', 'backoff_factor_ms'],
    ['exponent', 'exponent'],
    ['max_delay', 'max_delay_ms'],
  ];
  for (const [field, protoField] of numbers) {
    const value = policy[field];
    if (value === undefined || value === null) continue;
    message[protoField] = nonNegativeInteger(value as number, `retryPolicy.${field}`);
  }
  return message;
}

function storeConfigMessage(config: Partial<StoreConfigModel>) {
  const defaults: Record<string, string> = {};
  for (const [key, value] of Object.entries(config.default_values ?? {})) defaults[key] = String(value);
  return { required_keys: config.required_keys ?? [], default_values: defaults };
}

function cronTriggerMessage(trigger: CronTrigger) {
  if ('expression' in trigger) return { expression: trigger.expression };
  if (trigger.type !== undefined && trigger.type !== 'CRON') {
    throw new RangeError(`Trigger type "${String(trigger.type)}" is not supported; only CRON`);
  }
  return { expression: trigger.value.expression };
}

function graphResponse(graph: ProtoGraph): GraphResponse {
  const policy = graph.retry_policy;
  return {
    name: graph.graph_name,
    namespace: graph.namespace,
    nodes: graph.nodes.map((node) => ({
      node_name: node.node_name,
      namespace: node.namespace,
      identifier: node.identifier,
      inputs: node.inputs,
      next_nodes: node.next_nodes,
      unites: node.unites
        ? {
            identifier: node.unites.identifier,
            strategy: node.unites.strategy === 'UNITES_STRATEGY_ALL_DONE' ? 'ALL_DONE' : 'ALL_SUCCESS',
          }
        : null,
    })),
    secrets: Object.fromEntries(graph.secret_names.map((name) => [name, true as const])),
    retry_policy: {
      max_retries: policy?.max_retries ?? 3,
      strategy:
        !policy || policy.strategy === 'RETRY_STRATEGY_UNSPECIFIED'
          ? 'EXPONENTIAL'
          : enumSuffix(policy.strategy, 'RETRY_STRATEGY_'),
      backoff_factor: policy?.backoff_factor_ms ?? 2000,
      exponent: policy?.exponent ?? 2,
      max_delay: policy?.max_delay_ms ?? null,
    },
    store_config: {
      required_keys: graph.store_config?.required_keys ?? [],
      default_values: graph.store_config?.default_values ?? {},
    },
    triggers: graph.triggers.map((trigger) => ({ type: 'CRON' as const, value: { expression: trigger.expression } })),
    validation_status: enumSuffix(graph.validation_status, 'VALIDATION_STATUS_') as GraphResponse['validation_status'],
    validation_errors: graph.validation_errors,
    created_at: graph.created_at,
    updated_at: graph.updated_at,
  };
}

function runStates(response: ProtoRunStates): RunStates {
  return {
    run_id: response.run_id,
    graph_name: response.graph_name,
    status: enumSuffix(response.status, 'RUN_STATUS_') as RunStatus,
    states: response.states.map((state) => ({
      ...state,
      status: enumSuffix(state.status, 'STATE_STATUS_') as StateStatus,
    })),
  };
}
