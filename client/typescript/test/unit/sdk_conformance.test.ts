/**
 * Conformance with the official ExosphereHost TypeScript SDK (package `exospherehost`,
 * typescript-sdk/ in the exospherehost repository, at the last commit before it was removed).
 *
 * Every name its `index.ts` exports is listed here as the SDK's source declares it (types.ts,
 * models.ts, stateManager.ts, node/, runtime.ts, signals.ts, logger.ts, utils.ts): classes and
 * functions with their parameters and defaults, options, model fields with their defaults,
 * descriptions and messages, errors with their texts. Types are checked at compile time (the SDK's
 * call shapes must compile against this package), values at run time. What exists only for the
 * SDK's REST transport, and the differences we keep on purpose, are listed with their reasons in
 * TRANSPORT_ONLY and KEPT_DIFFERENCES, and checked too.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as ours from 'exosphere-sidecar';
import {
  BaseNode,
  generateFlatSchema,
  GraphNodeModel,
  GraphValidationStatus,
  isZodObjectSchema,
  isZodStringSchema,
  Logger,
  logger,
  LogLevel,
  PruneSignal,
  ReQueueAfterSignal,
  RetryPolicyModel,
  RetryStrategyEnum,
  Runtime,
  StateManager,
  StoreConfigModel,
  UnitesModel,
  UnitesStrategyEnum,
  type GraphNode,
  type StateManagerOptions,
  type TriggerState,
} from 'exosphere-sidecar';
import { z, ZodError } from 'zod';

/** The SDK's run-time exports (values), by the module that declares them. */
const SDK_VALUE_EXPORTS: Record<string, string[]> = {
  'types.ts': ['GraphValidationStatus'],
  'models.ts': [
    'UnitesStrategyEnum',
    'UnitesModel',
    'GraphNodeModel',
    'RetryStrategyEnum',
    'RetryPolicyModel',
    'StoreConfigModel',
  ],
  'stateManager.ts': ['StateManager'],
  'node/index.ts': ['BaseNode'],
  'runtime.ts': ['Runtime'],
  'signals.ts': ['PruneSignal', 'ReQueueAfterSignal'],
  'logger.ts': ['LogLevel', 'Logger', 'logger'],
  'utils.ts': ['isZodObjectSchema', 'isZodStringSchema', 'generateFlatSchema'],
};

/** The SDK's type-only exports; each is used in a declaration below, so a missing one fails to compile. */
const SDK_TYPE_EXPORTS = [
  'TriggerState',
  'GraphNode',
  'UnitesModel',
  'GraphNodeModel',
  'RetryPolicyModel',
  'StoreConfigModel',
  'StateManagerOptions',
];
const triggerState: TriggerState = { identifier: 'i', inputs: { a: 'b' } };
const graphNode: GraphNode = { node_name: 'N', identifier: 'n', inputs: {}, next_nodes: ['m'], namespace: 'ns' };
const unites: UnitesModel = { identifier: 'n', strategy: UnitesStrategyEnum.ALL_DONE };
const graphNodeModel: GraphNodeModel = { node_name: 'N', namespace: 'ns', identifier: 'n', inputs: {}, unites };
const retryPolicy: RetryPolicyModel = {
  max_retries: 3,
  strategy: RetryStrategyEnum.EXPONENTIAL,
  backoff_factor: 2000,
  exponent: 2,
  max_delay: 10,
};
const storeConfig: StoreConfigModel = { required_keys: ['k'], default_values: { k: 'v' } };
// The SDK's StateManagerOptions and Runtime options, as SDK code passes them.
const sdkStateManagerOptions: StateManagerOptions = { stateManagerUri: 'http://sm', key: 'k', stateManagerVersion: 'v0' };
const sdkRuntimeOptions = {
  stateManagerUri: 'http://sm',
  key: 'k',
  batchSize: 16,
  workers: 4,
  stateManagerVersion: 'v0',
  pollInterval: 1000,
};

/** Functions: the SDK's `Function.length` (the parameters before the first one with a default; `x?` counts). */
const SDK_ARITIES: [string, (...args: any[]) => unknown, number][] = [
  ['StateManager.trigger(graphName, inputs?, store?, startDelay = 0)', StateManager.prototype.trigger, 3],
  ['StateManager.getGraph(graphName)', StateManager.prototype.getGraph, 1],
  [
    'StateManager.upsertGraph(graphName, graphNodes, secrets, retryPolicy?, storeConfig?, validationTimeout = 60, pollingInterval = 1)',
    StateManager.prototype.upsertGraph,
    5,
  ],
  ['BaseNode._execute(inputsRaw, secretsRaw)', BaseNode.prototype._execute, 2],
  ['Runtime.start()', Runtime.prototype.start, 0],
  ['isZodObjectSchema(x)', isZodObjectSchema, 1],
  ['isZodStringSchema(x)', isZodStringSchema, 1],
  ['generateFlatSchema(zodSchema, title)', generateFlatSchema, 2],
  ['Logger.getInstance()', Logger.getInstance, 0],
  ['logger.debug(name, message)', logger.debug, 2],
  ['logger.info(name, message)', logger.info, 2],
  ['logger.warn(name, message)', logger.warn, 2],
  ['logger.error(name, message)', logger.error, 2],
];

/** The SDK's names that only make sense for its REST client, and why they have no counterpart. */
const TRANSPORT_ONLY: Record<string, string> = {
  'PruneSignal.send(endpoint, key)': 'posts to the state manager; the runtime sends a Prune result to the sidecar',
  'ReQueueAfterSignal.send(endpoint, key)': 'posts to the state manager; the runtime sends a RequeueAfter result',
  "Runtime/StateManager Error 'State manager URI is not set'": "the sidecar holds the state manager's address",
  "Runtime/StateManager Error 'API key is not set'": 'the sidecar holds the API key',
};

/** Differences kept on purpose (also in the client README), each checked below. */
const KEPT_DIFFERENCES: Record<string, string> = {
  'signal .name': "'PruneSignal' / 'ReQueueAfterSignal' instead of 'Error', like every other error class (NodeValidationError, SidecarError): stack traces and String(error) say which signal escaped",
  'invalid inputs/outputs': 'NodeValidationError naming the node and field instead of the raw ZodError JSON',
  'string fields with a default': 'z.string().default("100") is accepted (the SDK README declares one; the SDK refused it)',
  'next_nodes / store key problems': 'zod issues (safeParse works) instead of an Error thrown from inside refine',
  'ReQueueAfterSignal(NaN)': 'refused like 0 (the SDK accepted NaN)',
  'workers: NaN or Infinity': "'Workers should be at least 1' / 'Workers should be a finite number' (the SDK ran no worker, or threw a RangeError)",
  'a node without Inputs, Outputs or Secrets': 'listed in the validation error (the SDK listed it, then threw a TypeError reading its shape)',
};

class Echo extends BaseNode {
  static override name = 'Echo';
  static override Inputs = z.object({ text: z.string() });
  static override Outputs = z.object({ echoed: z.string() });
  static override Secrets = z.object({ token: z.string() });
  async execute() {
    return { echoed: `${this.inputs.text}:${this.secrets.token}` };
  }
}

const quiet = { handleSignals: false, sidecarAddress: 'unix:/nonexistent/sidecar.sock' };

describe('SDK conformance: exports', () => {
  it('exports every value the SDK exports', () => {
    for (const [file, names] of Object.entries(SDK_VALUE_EXPORTS)) {
      for (const name of names) assert.ok(name in ours, `${name} (the SDK's ${file}) is not exported`);
    }
  });

  it('declares every type the SDK exports (compile-time, used above)', () => {
    assert.equal(SDK_TYPE_EXPORTS.length, 7);
    assert.deepEqual(triggerState.inputs, { a: 'b' });
    assert.equal(graphNode.namespace, 'ns');
    assert.equal(graphNodeModel.unites?.strategy, 'ALL_DONE');
    assert.equal(retryPolicy.max_delay, 10);
    assert.deepEqual(storeConfig.default_values, { k: 'v' });
    assert.equal(sdkStateManagerOptions.stateManagerVersion, 'v0');
  });

  it('has the SDK arities', () => {
    for (const [what, fn, arity] of SDK_ARITIES) assert.equal(fn.length, arity, what);
  });

  it('lists what is transport-only and what differs on purpose', () => {
    assert.equal('send' in PruneSignal.prototype, false);
    assert.equal('send' in ReQueueAfterSignal.prototype, false);
    for (const reason of [...Object.values(TRANSPORT_ONLY), ...Object.values(KEPT_DIFFERENCES)]) assert.ok(reason);
  });
});

describe('SDK conformance: enums and models', () => {
  it('enums', () => {
    assert.deepEqual({ ...GraphValidationStatus }, { VALID: 'VALID', INVALID: 'INVALID', PENDING: 'PENDING' });
    assert.deepEqual({ ...UnitesStrategyEnum }, { ALL_SUCCESS: 'ALL_SUCCESS', ALL_DONE: 'ALL_DONE' });
    assert.deepEqual(Object.values(RetryStrategyEnum), [
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
    assert.deepEqual({ ...LogLevel }, { 0: 'DEBUG', 1: 'INFO', 2: 'WARN', 3: 'ERROR', DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3 });
  });

  it('model fields, defaults and descriptions', () => {
    const descriptions = (schema: z.AnyZodObject) =>
      Object.fromEntries(Object.entries(schema.shape).map(([key, field]) => [key, (field as z.ZodTypeAny).description]));
    assert.deepEqual(descriptions(UnitesModel), {
      identifier: 'Identifier of the node',
      strategy: 'Strategy of the unites',
    });
    assert.deepEqual(descriptions(GraphNodeModel), {
      node_name: 'Name of the node',
      namespace: 'Namespace of the node',
      identifier: 'Identifier of the node',
      inputs: 'Inputs of the node',
      next_nodes: 'Next nodes to execute',
      unites: 'Unites of the node',
    });
    assert.deepEqual(descriptions(RetryPolicyModel), {
      max_retries: 'The maximum number of retries',
      strategy: 'The method of retry',
      backoff_factor: 'The backoff factor in milliseconds (default: 2000 = 2 seconds)',
      exponent: 'The exponent for the exponential retry strategy',
      max_delay: 'The maximum delay in milliseconds (no default limit when None)',
    });
    assert.deepEqual(descriptions(StoreConfigModel), {
      required_keys: 'Required keys of the store',
      default_values: 'Default values of the store',
    });
    assert.deepEqual(UnitesModel.parse({ identifier: ' x ' }), { identifier: ' x ', strategy: 'ALL_SUCCESS' });
    assert.deepEqual(GraphNodeModel.parse({ node_name: ' N ', namespace: 'ns', identifier: ' n ' }), {
      node_name: 'N',
      namespace: 'ns',
      identifier: 'n',
      inputs: {},
    });
    assert.deepEqual(RetryPolicyModel.parse({}), { max_retries: 3, strategy: 'EXPONENTIAL', backoff_factor: 2000, exponent: 2 });
    assert.deepEqual(StoreConfigModel.parse({}), { required_keys: [], default_values: {} });
  });

  it('model validation messages', () => {
    const problems = (schema: z.ZodTypeAny, value: unknown) => {
      const result = schema.safeParse(value);
      assert.equal(result.success, false, JSON.stringify(value));
      return (result as { error: ZodError }).error.issues.map((issue) => issue.message);
    };
    const base = { node_name: 'N', namespace: 'ns', identifier: 'n' };
    assert.deepEqual(problems(GraphNodeModel, { ...base, node_name: '  ' }), ['Node name cannot be empty']);
    assert.deepEqual(problems(GraphNodeModel, { ...base, identifier: ' ' }), ['Node identifier cannot be empty']);
    assert.deepEqual(problems(GraphNodeModel, { ...base, identifier: 'store' }), ["Node identifier cannot be reserved word 'store'"]);
    assert.deepEqual(problems(GraphNodeModel, { ...base, next_nodes: ['a', ' ', ' a'] }), [
      'Next node identifier cannot be empty',
      'Next node identifier a is not unique',
    ]);
    assert.deepEqual(problems(GraphNodeModel, { ...base, unites: { identifier: ' ' } }), ['Unites identifier cannot be empty']);
    assert.deepEqual(GraphNodeModel.parse({ ...base, unites: { identifier: ' p ' } }).unites, {
      identifier: 'p',
      strategy: 'ALL_SUCCESS',
    });
    assert.deepEqual(problems(StoreConfigModel, { required_keys: ['', 'a.b', 'k', ' k'] }), [
      'Key cannot be empty or contain only whitespace',
      "Key 'a.b' cannot contain '.' character",
      "Key 'k' is duplicated",
    ]);
    assert.deepEqual(problems(StoreConfigModel, { default_values: { ' ': 'x', 'c.d': 'y', e: '1', ' e': '2' } }), [
      'Key cannot be empty or contain only whitespace',
      "Key 'c.d' cannot contain '.' character",
      "Key 'e' is duplicated",
    ]);
    assert.deepEqual(StoreConfigModel.parse({ default_values: { ' e ': '1' } }).default_values, { e: '1' });
    for (const field of [{ max_retries: -1 }, { backoff_factor: 0 }, { exponent: 1.5 }, { max_delay: 0 }]) {
      problems(RetryPolicyModel, field);
    }
    problems(StoreConfigModel, { default_values: { a: 1 } });
  });
});

describe('SDK conformance: utils', () => {
  it('recognises zod object and string schemas', () => {
    assert.equal(isZodObjectSchema(z.object({})), true);
    assert.equal(isZodObjectSchema(z.string()), false);
    assert.equal(isZodObjectSchema({ _def: { typeName: 'ZodObject' } }), false); // no parse()
    assert.equal(isZodObjectSchema(null), false);
    assert.equal(isZodStringSchema(z.string().min(1)), true);
    assert.equal(isZodStringSchema(z.string().default('x')), false);
    assert.equal(isZodStringSchema(z.number()), false);
    assert.equal(isZodStringSchema('text'), false);
  });

  it('generateFlatSchema is zod-to-json-schema with the title, as in the SDK', () => {
    assert.deepEqual(generateFlatSchema(z.object({ a: z.string(), b: z.string().optional() }), 'Inputs'), {
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'string' } },
      required: ['a'],
      additionalProperties: false,
      $schema: 'http://json-schema.org/draft-07/schema#',
      title: 'Inputs',
    });
  });
});

describe('SDK conformance: Runtime and StateManager constructors', () => {
  it('checks batchSize, then workers, then the nodes, with the SDK messages', () => {
    assert.throws(() => new Runtime('ns', 'rt', [Echo], { ...quiet, batchSize: 0, workers: 0 }), {
      message: 'Batch size should be at least 1',
    });
    for (const workers of [0, 0.5, -1, Number.NaN]) {
      assert.throws(() => new Runtime('ns', 'rt', [Echo], { ...quiet, workers }), { message: 'Workers should be at least 1' });
    }
    assert.ok(new Runtime('ns', 'rt', [Echo], { ...quiet, workers: 2.5 })); // the SDK ran 2 workers
    assert.throws(() => new Runtime('ns', 'rt', [Echo], { ...quiet, workers: Infinity }), {
      message: 'Workers should be a finite number',
    });
    class NotANode {
      static Inputs = z.object({ a: z.number() });
      static Outputs = z.string();
    }
    assert.throws(() => new Runtime('ns', 'rt', [NotANode, Echo, Echo] as any, quiet), {
      message: [
        'Node validation errors:',
        'NotANode does not inherit from BaseNode',
        'NotANode missing Secrets schema',
        'NotANode.Outputs must be a ZodObject schema',
        'NotANode.Secrets must be a ZodObject schema',
        "NotANode.Inputs field 'a' must be string",
        'Duplicate node class names found: Echo',
      ].join('\n'),
    });
  });

  it("accepts the SDK's options (REST ones ignored) and needs no URI or key", () => {
    logger.configure({ disabled: true });
    try {
      assert.ok(new Runtime('ns', 'rt', [Echo], { ...sdkRuntimeOptions, ...quiet }));
      assert.ok(new StateManager('ns', sdkStateManagerOptions));
      assert.ok(new StateManager('ns'));
    } finally {
      logger.configure({ disabled: false });
    }
  });

  it('keeps the SDK error prefixes of StateManager calls (an Error; then the gRPC status)', async () => {
    const manager = new StateManager('ns', { sidecarAddress: 'unix:/nonexistent/sidecar.sock', callTimeoutMs: 5000 });
    try {
      await assert.rejects(manager.getGraph('g'), /^SidecarError: Failed to get graph: UNAVAILABLE /);
      await assert.rejects(manager.trigger('g'), /^SidecarError: Failed to trigger state: UNAVAILABLE /);
      await assert.rejects(manager.upsertGraph('g', [graphNodeModel], {}), /^SidecarError: Failed to upsert graph: UNAVAILABLE /);
    } finally {
      manager.close();
    }
  });
});

describe('SDK conformance: BaseNode and signals', () => {
  it('BaseNode: abstract, empty schemas by default, _execute parses and returns the outputs', async () => {
    assert.throws(() => new (BaseNode as any)(), { message: 'BaseNode is an abstract class and cannot be instantiated directly' });
    for (const schema of [BaseNode.Inputs, BaseNode.Outputs, BaseNode.Secrets]) {
      assert.deepEqual(Object.keys(schema.shape), []);
    }
    assert.deepEqual(await new Echo()._execute({ text: 'hi', extra: 'x' }, { token: 't' }), { echoed: 'hi:t' });
    class Nothing extends BaseNode {
      async execute() {
        return null;
      }
    }
    assert.deepEqual(await new Nothing()._execute({}, {}), {});
    class Many extends BaseNode {
      static override Outputs = z.object({ v: z.string() });
      async execute() {
        return [{ v: '1' }, { v: '2', w: 'dropped' }];
      }
    }
    assert.deepEqual(await new Many()._execute({}, {}), [{ v: '1' }, { v: '2' }]);
    await assert.rejects(new Echo()._execute({}, { token: 't' }), (error: Error) => error.message.includes("'text'"));
  });

  it('PruneSignal and ReQueueAfterSignal', () => {
    const prune = new PruneSignal();
    assert.ok(prune instanceof Error);
    assert.deepEqual(prune.data, {});
    assert.equal(
      new PruneSignal({ why: 'done' }).message,
      'Prune signal received with data: {"why":"done"} \n NOTE: Do not catch this Exception, let it bubble up to Runtime for handling at StateManager',
    );
    const requeue = new ReQueueAfterSignal(1500);
    assert.ok(requeue instanceof Error);
    assert.equal(requeue.delayMs, 1500);
    assert.equal(
      requeue.message,
      'ReQueueAfter signal received with delay 1500ms \n NOTE: Do not catch this Exception, let it bubble up to Runtime for handling at StateManager',
    );
    for (const delay of [0, -1, Number.NaN]) {
      assert.throws(() => new ReQueueAfterSignal(delay), { message: 'Delay must be greater than 0' });
    }
    assert.equal(prune.name, 'PruneSignal');
    assert.equal(requeue.name, 'ReQueueAfterSignal');
  });
});

describe('SDK conformance: logger', () => {
  it('one instance, the SDK line format on console, level filter', () => {
    assert.equal(Logger.getInstance(), logger);
    const lines: string[] = [];
    const saved = console.info;
    console.info = (line: string) => lines.push(line);
    try {
      logger.configure({ writer: null, level: LogLevel.INFO, disabled: false });
      logger.info('Runtime', 'hello');
      logger.debug('Runtime', 'hidden');
    } finally {
      console.info = saved;
    }
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \| INFO \| Runtime \| hello$/);
  });

  it('reads EXOSPHERE_LOG_LEVEL and EXOSPHERE_DISABLE_DEFAULT_LOGGING when the package loads', () => {
    // The package directory (dist/test/unit -> three levels up), where 'exosphere-sidecar' resolves to itself.
    const packageDir = dirname(dirname(dirname(dirname(fileURLToPath(import.meta.url)))));
    const program =
      "import { logger } from 'exosphere-sidecar'; for (const level of ['debug', 'info', 'warn', 'error']) logger[level]('N', level);";
    const run = (environment: Record<string, string>) => {
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', program], {
        cwd: packageDir,
        env: { PATH: process.env.PATH ?? '', ...environment },
        encoding: 'utf8',
      });
      assert.equal(child.status, 0, child.stderr);
      return `${child.stdout}${child.stderr}`.split('\n').filter(Boolean).map((line) => line.split(' | ')[1]);
    };
    assert.deepEqual(run({}), ['INFO', 'WARN', 'ERROR']);
    assert.deepEqual(run({ EXOSPHERE_LOG_LEVEL: 'debug' }).sort(), ['DEBUG', 'ERROR', 'INFO', 'WARN']);
    assert.deepEqual(run({ EXOSPHERE_LOG_LEVEL: 'ERROR' }), ['ERROR']);
    assert.deepEqual(run({ EXOSPHERE_DISABLE_DEFAULT_LOGGING: 'true' }), []);
  });
});
