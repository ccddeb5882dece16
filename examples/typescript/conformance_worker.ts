// The TypeScript worker of the cross-language conformance suite (tests/conformance/README.md):
// serves cf_start, cf_split, cf_transform and cf_collect (or those named in CONFORMANCE_NODES) in
// namespace "conformance" as runtime "conformance-typescript". Prints "ready" on stdout once the
// sidecar reports the nodes registered (logs go to stderr), then serves until SIGTERM, when it
// finishes the tasks in flight and exits 0.
//
//   EXOSPHERE_SIDECAR_ADDRESS=unix:/... CONFORMANCE_MARKER_DIR=/tmp/markers \
//     node client/typescript/dist/examples/conformance_worker.js
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';

import { BaseNode, logger, PruneSignal, ReQueueAfterSignal, Runtime, type NodeClass } from 'exosphere-sidecar';
import { z } from 'zod';

const markerDir = process.env.CONFORMANCE_MARKER_DIR ?? '';

/**
 * True for the first caller of the whole run, across processes and languages: whoever creates
 * the marker file with O_CREAT|O_EXCL.
 */
function once(name: string): boolean {
  if (!markerDir) throw new Error('CONFORMANCE_MARKER_DIR is not set');
  try {
    closeSync(openSync(join(markerDir, name), 'wx'));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

class CfStart extends BaseNode {
  static name = 'cf_start';
  static Inputs = z.object({ text: z.string() });
  static Outputs = z.object({ text: z.string() });
  static Secrets = z.object({});

  async execute() {
    return { text: this.inputs.text.trim() };
  }
}

class CfSplit extends BaseNode {
  static name = 'cf_split';
  static Inputs = z.object({ text: z.string() });
  static Outputs = z.object({ item: z.string() });
  static Secrets = z.object({});

  async execute() {
    return this.inputs.text.split(',').map((item: string) => ({ item: item.trim() }));
  }
}

class CfTransform extends BaseNode {
  static name = 'cf_transform';
  static Inputs = z.object({ item: z.string(), suffix: z.string() });
  static Outputs = z.object({ value: z.string() });
  static Secrets = z.object({ salt: z.string() });

  async execute() {
    const item: string = this.inputs.item;
    if (item === 'skip') throw new PruneSignal({ reason: 'skip' });
    if (item === 'flaky' && once('flaky')) throw new Error('transient failure');
    if (item === 'later' && once('later')) throw new ReQueueAfterSignal(500);
    const saltLength = [...(this.secrets.salt as string)].length;
    return { value: `${item.toUpperCase()}${this.inputs.suffix}/${saltLength}` };
  }
}

class CfCollect extends BaseNode {
  static name = 'cf_collect';
  static Inputs = z.object({ text: z.string(), suffix: z.string() });
  static Outputs = z.object({ summary: z.string() });
  static Secrets = z.object({});

  async execute() {
    return { summary: `${this.inputs.text}${this.inputs.suffix}` };
  }
}

const ALL_NODES: NodeClass[] = [CfStart, CfSplit, CfTransform, CfCollect];

function selectedNodes(): NodeClass[] {
  const wanted = (process.env.CONFORMANCE_NODES ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (wanted.length === 0) return ALL_NODES;
  const unknown = wanted.filter((name) => !ALL_NODES.some((node) => node.name === name));
  if (unknown.length > 0) {
    throw new Error(`CONFORMANCE_NODES names unknown nodes: ${unknown.join(', ')}`);
  }
  return ALL_NODES.filter((node) => wanted.includes(node.name));
}

// stdout carries only "ready".
logger.configure({ writer: (_level, line) => process.stderr.write(`${line}\n`) });

try {
  if (!markerDir) throw new Error('CONFORMANCE_MARKER_DIR is not set');
  const runtime = new Runtime('conformance', 'conformance-typescript', selectedNodes());
  const serving = runtime.start();
  runtime.waitUntilRegistered(120000).then(
    () => process.stdout.write('ready\n'),
    () => {
      // A refused Hello rejects `serving` (reported below) and a SIGTERM before the
      // registration is no failure; only a registration that never came is.
      if (runtime.isRunning) {
        process.stderr.write('conformance_worker: the nodes were not registered within 120 s\n');
        process.exitCode = 1;
        void runtime.stop();
      }
    },
  );
  await serving;
} catch (error) {
  process.stderr.write(`conformance_worker: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
