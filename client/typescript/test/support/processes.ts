/**
 * Child processes for end-to-end tests: started with their output read line by line, awaited by
 * condition (a line on stdout, their exit), and all of them killed and awaited at the end of the
 * test file, also when a test failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const DEFAULT_TIMEOUT_MS = 20000;
const live = new Set<TestProcess>();
const tempDirs = new Set<string>();

export class TestProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  exitCode: number | null = null;
  signal: NodeJS.Signals | null = null;
  /** Why the process could not be started, if it could not. */
  spawnError: Error | undefined;
  private readonly exited: Promise<void>;
  private readonly lineWaiters = new Set<() => void>();

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    live.add(this);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.stdout.push(line);
      for (const waiter of [...this.lineWaiters]) waiter();
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderr.push(line);
      for (const waiter of [...this.lineWaiters]) waiter();
    });
    this.exited = new Promise((resolve) => {
      const ended = () => {
        live.delete(this);
        for (const waiter of [...this.lineWaiters]) waiter();
        resolve();
      };
      child.on('exit', (code, signal) => {
        this.exitCode = code;
        this.signal = signal;
        ended();
      });
      child.on('error', (error) => {
        // Only a failed spawn: the other errors (kill, IPC) cannot happen with these options.
        this.spawnError = error;
        this.exitCode = -1;
        ended();
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exitCode === null && this.signal === null;
  }

  /** The first stdout line (from `from` on) that matches; rejects if the process exits first. */
  waitForLine(pattern: RegExp | string, timeoutMs = DEFAULT_TIMEOUT_MS, from = 0): Promise<string> {
    return this.waitForOutput(this.stdout, pattern, timeoutMs, from);
  }

  /** The first stderr line that matches; rejects if the process exits first. */
  waitForStderrLine(pattern: RegExp | string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    return this.waitForOutput(this.stderr, pattern, timeoutMs, 0);
  }

  private waitForOutput(lines: string[], pattern: RegExp | string, timeoutMs: number, from: number): Promise<string> {
    const matches = (line: string) => (typeof pattern === 'string' ? line === pattern : pattern.test(line));
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = lines.slice(from).find(matches);
        if (line !== undefined) {
          done();
          resolve(line);
        } else if (!this.running) {
          done();
          reject(new Error(`${this.name} exited (${this.exitCode ?? this.signal}) before printing ${pattern}\n${this.output()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name} did not print ${pattern} within ${timeoutMs} ms\n${this.output()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.lineWaiters.delete(check);
      };
      this.lineWaiters.add(check);
      check();
    });
  }

  /** Waits for the exit; rejects after the timeout (the process is left running). */
  async waitForExit(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.name} did not exit within ${timeoutMs} ms\n${this.output()}`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return this.exitCode;
  }

  signalProcess(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; waits for the exit. */
  async kill(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  output(): string {
    if (this.spawnError) return `--- ${this.name} could not be started: ${this.spawnError.message}`;
    return [`--- ${this.name} stdout`, ...this.stdout.slice(-40), `--- ${this.name} stderr`, ...this.stderr.slice(-40)].join('\n');
  }
}

export function startProcess(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string> = {},
): TestProcess {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new TestProcess(name, child);
}

/** A fresh temporary directory, removed by cleanUp(). Short, for unix socket paths. */
export function makeTempDir(prefix = 'exo-ts-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** Kills and awaits every process still running and removes the temporary directories. */
export async function cleanUp(): Promise<void> {
  await Promise.all([...live].map((process) => process.kill()));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

// Last resort when a test file ends without cleanUp() (a failed hook): no child outlives it and
// no temporary directory stays behind.
process.on('exit', () => {
  for (const testProcess of live) testProcess.signalProcess('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
