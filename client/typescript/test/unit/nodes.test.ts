import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  BaseNode,
  GraphNodeModel,
  logger,
  LogLevel,
  NodeValidationError,
  PruneSignal,
  ReQueueAfterSignal,
  Runtime,
  StoreConfigModel,
} from 'exosphere-sidecar';
import { z } from 'zod';

class GoodNode extends BaseNode {
  static override name = 'good-node';
  static override Inputs = z.object({ a: z.string(), b: z.string().default('x') });
  static override Outputs = z.object({ out: z.string() });
  static override Secrets = z.object({ token: z.string() });
  async execute() {
    return { out: `${this.inputs.a}${this.inputs.b}${this.secrets.token}`, extra: 'dropped' };
  }
}

const noSignals = { handleSignals: false };

describe('Runtime construction: the SDK checks and messages', () => {
  it('accepts valid nodes, string fields with defaults included', () => {
    assert.doesNotThrow(() => new Runtime('ns', 'rt', [GoodNode], noSignals));
  });

  it('rejects a class that does not inherit from BaseNode', () => {
    class NotANode {
      static Inputs = z.object({});
      static Outputs = z.object({});
      static Secrets = z.object({});
    }
    assert.throws(
      () => new Runtime('ns', 'rt', [NotANode as any], noSignals),
      { message: 'Node validation errors:\nNotANode does not inherit from BaseNode' },
    );
  });

  it('lists every problem of every node in one error', () => {
    class BadSchemas extends BaseNode {
      static override Inputs = { shape: {} } as any;
      static override Outputs = z.object({ count: z.number(), list: z.array(z.string()) }) as any;
      static override Secrets = z.object({ maybe: z.string().optional() });
      async execute() {
        return {};
      }
    }
    class Missing extends BaseNode {
      static override Secrets = undefined as any;
      async execute() {
        return {};
      }
    }
    assert.throws(() => new Runtime('ns', 'rt', [BadSchemas, Missing], noSignals), {
      message: [
        'Node validation errors:',
        'BadSchemas.Inputs must be a ZodObject schema',
        "BadSchemas.Outputs field 'count' must be string",
        "BadSchemas.Outputs field 'list' must be string",
        "BadSchemas.Secrets field 'maybe' must be string",
        'Missing missing Secrets schema',
        'Missing.Secrets must be a ZodObject schema',
      ].join('\n'),
    });
  });

  it('rejects duplicate node names', () => {
    class Again extends GoodNode {
      static override name = 'good-node';
    }
    assert.throws(() => new Runtime('ns', 'rt', [GoodNode, Again], noSignals), {
      message: 'Node validation errors:\nDuplicate node class names found: good-node',
    });
  });

  it('checks batchSize and workers with the SDK texts', () => {
    assert.throws(() => new Runtime('ns', 'rt', [GoodNode], { ...noSignals, batchSize: 0 }), {
      message: 'Batch size should be at least 1',
    });
    assert.throws(() => new Runtime('ns', 'rt', [GoodNode], { ...noSignals, workers: 0 }), {
      message: 'Workers should be at least 1',
    });
  });

  it('accepts the REST-only options and warns once per option', () => {
    const lines: string[] = [];
    logger.configure({ writer: (_level, line) => lines.push(line), level: LogLevel.WARN });
    try {
      const options = { ...noSignals, stateManagerUri: 'http://localhost:8000', key: 'k', stateManagerVersion: 'v0' };
      new Runtime('ns', 'rt', [GoodNode], options);
      new Runtime('ns', 'rt', [GoodNode], options);
    } finally {
      logger.configure({ writer: null, level: LogLevel.INFO });
    }
    const warnings = lines.filter((line) => line.includes('is ignored'));
    assert.equal(warnings.length, 3, warnings.join('\n'));
    assert.match(warnings[0]!, /WARN \| Runtime \| The option "stateManagerUri" is ignored/);
    assert.match(warnings[1]!, /The option "key" is ignored/);
    assert.match(warnings[2]!, /The option "stateManagerVersion" is ignored/);
  });
});

describe('BaseNode', () => {
  it('cannot be instantiated directly', () => {
    assert.throws(() => Reflect.construct(BaseNode, []), {
      message: 'BaseNode is an abstract class and cannot be instantiated directly',
    });
  });

  it('validates inputs and secrets, strips unknown keys and fills defaults', async () => {
    const node = new GoodNode();
    assert.deepEqual(await node._execute({ a: '1', other: 'x' }, { token: 't', unused: 'u' }), { out: '1xt' });
  });

  it('explains invalid inputs, secrets and outputs readably', async () => {
    await assert.rejects(new GoodNode()._execute({ b: 5 }, { token: 't' }), (error: unknown) => {
      assert.ok(error instanceof NodeValidationError);
      assert.equal(
        error.message,
        "good-node: invalid Inputs: field 'a': Required; field 'b': Expected string, received number",
      );
      return true;
    });
    await assert.rejects(new GoodNode()._execute({ a: '1' }, {}), {
      message: "good-node: invalid Secrets: field 'token': Required",
    });
    class FanOut extends BaseNode {
      static override Outputs = z.object({ v: z.string() });
      async execute() {
        return [{ v: 'ok' }, { v: 2 } as any];
      }
    }
    await assert.rejects(new FanOut()._execute({}, {}), {
      message: "FanOut: invalid Outputs[1]: field 'v': Expected string, received number",
    });
    class Nothing extends BaseNode {
      static override Outputs = z.object({ v: z.string() });
      async execute() {}
    }
    await assert.rejects(new Nothing()._execute({}, {}), { message: 'Nothing: invalid Outputs: Required' });
  });

  it('returns {} for null (one empty output, as in the SDK) and arrays as a fan-out', async () => {
    class Null extends BaseNode {
      async execute() {
        return null;
      }
    }
    assert.deepEqual(await new Null()._execute({}, {}), {});
    class Many extends BaseNode {
      static override Outputs = z.object({ v: z.string() });
      async execute() {
        return [{ v: '1' }, { v: '2' }];
      }
    }
    assert.deepEqual(await new Many()._execute({}, {}), [{ v: '1' }, { v: '2' }]);
  });
});

describe('signals', () => {
  it('PruneSignal carries its data (default {})', () => {
    assert.deepEqual(new PruneSignal().data, {});
    const signal = new PruneSignal({ reason: 'skip' });
    assert.deepEqual(signal.data, { reason: 'skip' });
    assert.match(signal.message, /^Prune signal received with data: \{"reason":"skip"\}/);
    assert.ok(signal instanceof Error);
  });

  it('ReQueueAfterSignal needs a positive delay', () => {
    assert.equal(new ReQueueAfterSignal(5000).delayMs, 5000);
    assert.match(new ReQueueAfterSignal(5000).message, /^ReQueueAfter signal received with delay 5000ms/);
    assert.throws(() => new ReQueueAfterSignal(0), { message: 'Delay must be greater than 0' });
    assert.throws(() => new ReQueueAfterSignal(-1), { message: 'Delay must be greater than 0' });
    assert.throws(() => new ReQueueAfterSignal(Number.NaN), { message: 'Delay must be greater than 0' });
  });
});

describe('graph models', () => {
  it('normalise and check graph nodes with the state manager messages', () => {
    const node = GraphNodeModel.parse({
      node_name: ' n ',
      namespace: 'ns',
      identifier: ' id ',
      next_nodes: [' a ', 'b'],
    });
    assert.deepEqual(node, { node_name: 'n', namespace: 'ns', identifier: 'id', inputs: {}, next_nodes: ['a', 'b'] });
    const failed = GraphNodeModel.safeParse({
      node_name: ' ',
      namespace: 'ns',
      identifier: 'store',
      next_nodes: ['a', 'a', ''],
    });
    assert.equal(failed.success, false);
    const messages = failed.error!.issues.map((issue) => issue.message);
    assert.deepEqual(messages, [
      'Node name cannot be empty',
      "Node identifier cannot be reserved word 'store'",
      'Next node identifier a is not unique',
      'Next node identifier cannot be empty',
    ]);
  });

  it('check store configs', () => {
    assert.deepEqual(StoreConfigModel.parse({ required_keys: [' k '], default_values: { ' d ': '1' } }), {
      required_keys: ['k'],
      default_values: { d: '1' },
    });
    // Values are strings, as in the SDK's z.record(z.string()).
    assert.equal(StoreConfigModel.safeParse({ default_values: { d: 1 } }).success, false);
    const failed = StoreConfigModel.safeParse({ required_keys: ['a.b', 'k', 'k', ' '] });
    assert.deepEqual(
      failed.error!.issues.map((issue) => issue.message),
      ["Key 'a.b' cannot contain '.' character", "Key 'k' is duplicated", 'Key cannot be empty or contain only whitespace'],
    );
  });
});
