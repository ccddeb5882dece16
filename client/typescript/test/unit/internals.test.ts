import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { z } from 'zod';

import { ReconnectBackoff } from '#internal/backoff.js';
import { resolveSidecarAddress } from '#internal/proto.js';
import { toStruct } from '#internal/struct.js';
import { flatJsonSchema } from '#internal/zod_inspect.js';

describe('flatJsonSchema', () => {
  it('describes every field as a string property, required unless defaulted', () => {
    const schema = z.object({ text: z.string().min(1), max_length: z.string().default('100') });
    assert.deepEqual(flatJsonSchema(schema, 'Inputs'), {
      type: 'object',
      properties: { text: { type: 'string' }, max_length: { type: 'string' } },
      required: ['text'],
      title: 'Inputs',
      additionalProperties: false,
    });
    assert.deepEqual(flatJsonSchema(z.object({}), 'Outputs'), {
      type: 'object',
      properties: {},
      required: [],
      title: 'Outputs',
      additionalProperties: false,
    });
  });
});

describe('toStruct', () => {
  it('converts JSON data to google.protobuf.Struct', () => {
    assert.deepEqual(toStruct({ s: 'x', n: 1.5, b: true, z: null, l: [1, 'a'], o: { k: 'v' }, u: undefined }), {
      fields: {
        s: { stringValue: 'x' },
        n: { numberValue: 1.5 },
        b: { boolValue: true },
        z: { nullValue: 'NULL_VALUE' },
        l: { listValue: { values: [{ numberValue: 1 }, { stringValue: 'a' }] } },
        o: { structValue: { fields: { k: { stringValue: 'v' } } } },
      },
    });
  });
});

describe('ReconnectBackoff', () => {
  it('doubles up to the cap with 50-100% jitter and resets', () => {
    const low = new ReconnectBackoff(200, 1000, () => 0);
    assert.deepEqual([low.nextMs(), low.nextMs(), low.nextMs(), low.nextMs(), low.nextMs()], [100, 200, 400, 500, 500]);
    low.reset();
    assert.equal(low.nextMs(), 100);
    const high = new ReconnectBackoff(200, 1000, () => 1);
    assert.deepEqual([high.nextMs(), high.nextMs(), high.nextMs(), high.nextMs()], [200, 400, 800, 1000]);
  });
});

describe('resolveSidecarAddress', () => {
  it('takes the option, else EXOSPHERE_SIDECAR_ADDRESS, else the default socket', () => {
    const saved = process.env.EXOSPHERE_SIDECAR_ADDRESS;
    try {
      delete process.env.EXOSPHERE_SIDECAR_ADDRESS;
      assert.equal(resolveSidecarAddress(undefined), 'unix:/tmp/exosphere-sidecar.sock');
      process.env.EXOSPHERE_SIDECAR_ADDRESS = '127.0.0.1:7000';
      assert.equal(resolveSidecarAddress(undefined), '127.0.0.1:7000');
      assert.equal(resolveSidecarAddress('/run/s.sock'), 'unix:/run/s.sock');
    } finally {
      if (saved === undefined) delete process.env.EXOSPHERE_SIDECAR_ADDRESS;
      else process.env.EXOSPHERE_SIDECAR_ADDRESS = saved;
    }
  });
});
