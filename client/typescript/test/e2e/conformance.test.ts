// The TypeScript conformance worker (examples/typescript/conformance_worker.ts) against a real
// devserver and sidecar: the scenario of tests/conformance/README.md with one worker serving all
// nodes, then with the nodes spread over two workers.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { StateManager } from 'exosphere-sidecar';

import {
  assertConformanceStates,
  CONFORMANCE_NAMESPACE,
  CONFORMANCE_STORE,
  upsertConformanceGraph,
} from '../support/conformance.js';
import { EXAMPLES_DIR } from '../support/paths.js';
import { cleanUp, makeTempDir, startProcess, type TestProcess } from '../support/processes.js';
import { Stack } from '../support/stack.js';

let stack: Stack;
let sm: StateManager;

before(async () => {
  stack = await Stack.start();
  sm = new StateManager(CONFORMANCE_NAMESPACE, { sidecarAddress: stack.address });
});

after(async () => {
  sm?.close();
  await cleanUp();
});

async function startWorker(markerDir: string, nodes?: string): Promise<TestProcess> {
  const env = stack.workerEnv({ CONFORMANCE_MARKER_DIR: markerDir, ...(nodes ? { CONFORMANCE_NODES: nodes } : {}) });
  const worker = startProcess(`conformance_worker(${nodes ?? 'all'})`, process.execPath, [join(EXAMPLES_DIR, 'conformance_worker.js')], env);
  await worker.waitForLine('ready');
  // stdout carries nothing but "ready".
  assert.deepEqual(worker.stdout, ['ready'], worker.output());
  return worker;
}

async function stopWorker(worker: TestProcess): Promise<void> {
  worker.signalProcess('SIGTERM');
  assert.equal(await worker.waitForExit(), 0, worker.output());
}

describe('conformance worker', () => {
  it('serves the whole scenario alone', async () => {
    const worker = await startWorker(makeTempDir('exo-cf-'));
    await upsertConformanceGraph(sm, 'conformance-ts-single');
    const { run_id } = await sm.trigger('conformance-ts-single', {}, CONFORMANCE_STORE);
    const run = await sm.waitForRun(run_id, 60000);
    assertConformanceStates(run.states);
    assert.equal(run.status, 'SUCCESS');
    await stopWorker(worker);
  });

  it('serves the scenario with its nodes spread over two workers', async () => {
    const markers = makeTempDir('exo-cf-');
    const first = await startWorker(markers, 'cf_start,cf_collect');
    const second = await startWorker(markers, 'cf_split, cf_transform');
    await upsertConformanceGraph(sm, 'conformance-ts-split');
    const { run_id } = await sm.trigger('conformance-ts-split', {}, CONFORMANCE_STORE);
    const run = await sm.waitForRun(run_id, 60000);
    assertConformanceStates(run.states);
    await Promise.all([stopWorker(first), stopWorker(second)]);
  });

  it('exits 0 on SIGTERM also before it is registered', async () => {
    const nowhere = `unix:${join(makeTempDir(), 'none.sock')}`;
    const worker = startProcess('conformance_worker(no sidecar)', process.execPath, [join(EXAMPLES_DIR, 'conformance_worker.js')], {
      EXOSPHERE_SIDECAR_ADDRESS: nowhere,
      CONFORMANCE_MARKER_DIR: makeTempDir(),
    });
    await worker.waitForStderrLine(/Could not connect to the sidecar at unix:.*none\.sock/);
    worker.signalProcess('SIGTERM');
    assert.equal(await worker.waitForExit(), 0, worker.output());
    assert.deepEqual(worker.stdout, []);
  });

  it('refuses unknown node names and a missing marker directory', async () => {
    const unknown = startProcess('conformance_worker(bad)', process.execPath, [join(EXAMPLES_DIR, 'conformance_worker.js')], stack.workerEnv({ CONFORMANCE_MARKER_DIR: makeTempDir(), CONFORMANCE_NODES: 'cf_start,cf_nope' }));
    assert.equal(await unknown.waitForExit(), 1);
    assert.ok(unknown.stderr.some((line) => line.includes('CONFORMANCE_NODES names unknown nodes: cf_nope')), unknown.output());
    const noMarkers = startProcess('conformance_worker(no markers)', process.execPath, [join(EXAMPLES_DIR, 'conformance_worker.js')], stack.workerEnv({ CONFORMANCE_MARKER_DIR: '' }));
    assert.equal(await noMarkers.waitForExit(), 1);
    assert.ok(noMarkers.stderr.some((line) => line.includes('CONFORMANCE_MARKER_DIR is not set')), noMarkers.output());
  });
});
