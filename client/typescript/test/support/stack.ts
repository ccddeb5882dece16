/**
 * A real exosphere-devserver and exosphere-sidecar for end-to-end tests: the devserver on a free
 * loopback port, the sidecar on a unix socket in a temporary directory, both awaited through
 * the first line they print.
 */
import { join } from 'node:path';

import { binDir } from './paths.js';
import { makeTempDir, startProcess, type TestProcess } from './processes.js';

const API_KEY = 'ts-e2e-key';

export class Stack {
  devserver!: TestProcess;
  sidecar!: TestProcess;
  devserverUrl = '';
  readonly dir = makeTempDir();
  readonly socket = join(this.dir, 's.sock');
  readonly address = `unix:${this.socket}`;
  private sidecarStarts = 0;

  static async start(): Promise<Stack> {
    const stack = new Stack();
    stack.devserver = startProcess('exosphere-devserver', join(binDir(), 'exosphere-devserver'), [
      '--listen',
      '127.0.0.1:0',
      '--api-key',
      API_KEY,
    ]);
    const line = await stack.devserver.waitForLine(/^listening on http:\/\//);
    stack.devserverUrl = line.replace(/^listening on /, '').trim();
    await stack.startSidecar();
    return stack;
  }

  /** Starts the sidecar (again) on the same socket. */
  async startSidecar(): Promise<void> {
    this.sidecarStarts += 1;
    this.sidecar = startProcess(
      `exosphere-sidecar#${this.sidecarStarts}`,
      join(binDir(), 'exosphere-sidecar'),
      [`--state-manager-uri=${this.devserverUrl}`, `--listen=${this.address}`, '--poll-interval-ms=50'],
      { EXOSPHERE_API_KEY: API_KEY },
    );
    await this.sidecar.waitForLine(/^listening on unix:/);
  }

  /** Stops the sidecar with SIGTERM (it drains) and waits for its exit. */
  async stopSidecar(): Promise<number | null> {
    this.sidecar.signalProcess('SIGTERM');
    return this.sidecar.waitForExit(30000);
  }

  /** Environment for a worker process talking to this stack. */
  workerEnv(extra: Record<string, string> = {}): Record<string, string> {
    return { EXOSPHERE_SIDECAR_ADDRESS: this.address, ...extra };
  }

  output(): string {
    return [this.devserver.output(), this.sidecar.output()].join('\n');
  }
}
