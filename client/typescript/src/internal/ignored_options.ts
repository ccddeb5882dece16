import { logger } from '../logger.js';

const warned = new Set<string>();

const WHY: Record<string, string> = {
  stateManagerUri: "the sidecar talks to the state manager (configure the sidecar's --state-manager-uri)",
  key: 'the sidecar holds the API key (EXOSPHERE_API_KEY in the environment of the sidecar)',
  stateManagerVersion: 'the sidecar speaks the state manager API v0',
  batchSize: 'the sidecar claims states only for free slots (the `workers` option)',
  pollInterval: 'the sidecar polls the state manager (its --poll-interval-ms)',
};

/**
 * Options of the SDK that only made sense for its REST client are accepted, so that existing code
 * keeps compiling and running, and ignored with one warning per option and process.
 */
export function warnIgnoredOptions(component: string, options: object): void {
  for (const [name, why] of Object.entries(WHY)) {
    if ((options as Record<string, unknown>)[name] === undefined || warned.has(name)) continue;
    warned.add(name);
    logger.warn(component, `The option "${name}" is ignored: ${why}`);
  }
}
