/** The conformance graph and its expected final states (tests/conformance/README.md). */
import assert from 'node:assert/strict';

import type { GraphNodeModel, RunState, StateManager } from 'exosphere-sidecar';

export const CONFORMANCE_NAMESPACE = 'conformance';

export const CONFORMANCE_STORE = { text: ' alpha, flaky, skip, later, beta ', suffix: '!' };

const NODES = [
  {
    node_name: 'cf_start',
    namespace: CONFORMANCE_NAMESPACE,
    identifier: 'start',
    inputs: { text: '${{ store.text }}' },
    next_nodes: ['split'],
  },
  {
    node_name: 'cf_split',
    namespace: CONFORMANCE_NAMESPACE,
    identifier: 'split',
    inputs: { text: '${{ start.outputs.text }}' },
    next_nodes: ['transform'],
  },
  {
    node_name: 'cf_transform',
    namespace: CONFORMANCE_NAMESPACE,
    identifier: 'transform',
    inputs: { item: '${{ split.outputs.item }}', suffix: '${{ store.suffix }}' },
    next_nodes: ['collect'],
  },
  {
    node_name: 'cf_collect',
    namespace: CONFORMANCE_NAMESPACE,
    identifier: 'collect',
    inputs: { text: '${{ start.outputs.text }}', suffix: '${{ store.suffix }}' },
    unites: { identifier: 'start', strategy: 'ALL_DONE' },
  },
] as GraphNodeModel[];

export async function upsertConformanceGraph(sm: StateManager, graphName: string): Promise<void> {
  await sm.upsertGraph(
    graphName,
    NODES,
    { salt: 'pepper' },
    { strategy: 'FIXED', backoff_factor: 100, max_retries: 2 },
    { required_keys: ['text', 'suffix'] },
  );
}

/** "identifier STATUS detail", detail = the outputs of SUCCESS states, the error of retried ones. */
function describeState(state: RunState): string {
  if (state.status === 'SUCCESS') return `${state.identifier} SUCCESS ${JSON.stringify(state.outputs)}`;
  if (state.status === 'RETRY_CREATED' || state.status === 'ERRORED') {
    return `${state.identifier} ${state.status} ${state.error}`;
  }
  return `${state.identifier} ${state.status}`;
}

export const EXPECTED_FINAL_STATES = [
  'start SUCCESS {"text":"alpha, flaky, skip, later, beta"}',
  'split SUCCESS {"item":"alpha"}',
  'split SUCCESS {"item":"flaky"}',
  'split SUCCESS {"item":"skip"}',
  'split SUCCESS {"item":"later"}',
  'split SUCCESS {"item":"beta"}',
  'transform SUCCESS {"value":"ALPHA!/6"}',
  'transform SUCCESS {"value":"BETA!/6"}',
  'transform SUCCESS {"value":"LATER!/6"}',
  'transform SUCCESS {"value":"FLAKY!/6"}',
  'transform RETRY_CREATED transient failure',
  'transform PRUNED',
  'collect SUCCESS {"summary":"alpha, flaky, skip, later, beta!"}',
].sort();

export function assertConformanceStates(states: RunState[]): void {
  assert.deepEqual(states.map(describeState).sort(), EXPECTED_FINAL_STATES);
}
