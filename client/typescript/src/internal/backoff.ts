/**
 * Capped exponential backoff with jitter for reconnecting to the sidecar: attempt n waits a
 * uniformly drawn 50-100% of min(initial * 2^n, max). Reset once a stream is accepted.
 */
export class ReconnectBackoff {
  private attempt = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  ceilingMs(): number {
    return Math.min(this.initialMs * 2 ** Math.min(this.attempt, 30), Math.max(this.initialMs, this.maxMs));
  }

  nextMs(): number {
    const ceiling = this.ceilingMs();
    this.attempt += 1;
    return Math.round(ceiling * (0.5 + 0.5 * this.random()));
  }

  reset(): void {
    this.attempt = 0;
  }
}
