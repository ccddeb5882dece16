/**
 * The SDK's graph models: zod schemas (and their types) for graph nodes, unites, retry policies
 * and store configs, with the state manager's own field rules and messages. `upsertGraph` takes
 * plain objects of these shapes; the schemas are exported for callers that want to check a graph
 * before sending it.
 */
import { z } from 'zod';

export enum UnitesStrategyEnum {
  ALL_SUCCESS = 'ALL_SUCCESS',
  ALL_DONE = 'ALL_DONE',
}

export enum RetryStrategyEnum {
  EXPONENTIAL = 'EXPONENTIAL',
  EXPONENTIAL_FULL_JITTER = 'EXPONENTIAL_FULL_JITTER',
  EXPONENTIAL_EQUAL_JITTER = 'EXPONENTIAL_EQUAL_JITTER',
  LINEAR = 'LINEAR',
  LINEAR_FULL_JITTER = 'LINEAR_FULL_JITTER',
  LINEAR_EQUAL_JITTER = 'LINEAR_EQUAL_JITTER',
  FIXED = 'FIXED',
  FIXED_FULL_JITTER = 'FIXED_FULL_JITTER',
  FIXED_EQUAL_JITTER = 'FIXED_EQUAL_JITTER',
}

/** A trimmed, non-empty string; `emptyMessage` is the state manager's text for the empty case. */
function trimmedName(emptyMessage: string) {
  return z
    .string()
    .transform((value) => value.trim())
    .refine((value) => value.length > 0, emptyMessage);
}

/** Store keys: trimmed, not empty, without '.', no duplicates (the state manager's rules). */
function storeKeyProblems(keys: string[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const key of keys) {
    if (key === '') {
      problems.push('Key cannot be empty or contain only whitespace');
    } else if (key.includes('.')) {
      problems.push(`Key '${key}' cannot contain '.' character`);
    } else if (seen.has(key)) {
      problems.push(`Key '${key}' is duplicated`);
    } else {
      seen.add(key);
    }
  }
  return problems;
}

function addProblems(problems: string[], context: z.RefinementCtx): void {
  for (const message of problems) context.addIssue({ code: z.ZodIssueCode.custom, message });
}

export const UnitesModel = z.object({
  identifier: z.string().describe('Identifier of the node'),
  strategy: z
    .nativeEnum(UnitesStrategyEnum)
    .default(UnitesStrategyEnum.ALL_SUCCESS)
    .describe('Strategy of the unites'),
});
export type UnitesModel = z.infer<typeof UnitesModel>;

export const GraphNodeModel = z.object({
  node_name: trimmedName('Node name cannot be empty').describe('Name of the node'),
  namespace: z.string().describe('Namespace of the node'),
  identifier: trimmedName('Node identifier cannot be empty')
    .refine((value) => value !== 'store', "Node identifier cannot be reserved word 'store'")
    .describe('Identifier of the node'),
  inputs: z.record(z.unknown()).default({}).describe('Inputs of the node'),
  next_nodes: z
    .array(z.string())
    .transform((nodes) => nodes.map((node) => node.trim()))
    .superRefine((nodes, context) => {
      const problems: string[] = [];
      const seen = new Set<string>();
      for (const node of nodes) {
        if (node === '') problems.push('Next node identifier cannot be empty');
        else if (seen.has(node)) problems.push(`Next node identifier ${node} is not unique`);
        else seen.add(node);
      }
      addProblems(problems, context);
    })
    .optional()
    .describe('Next nodes to execute'),
  unites: UnitesModel.transform((unites) => ({ identifier: unites.identifier.trim(), strategy: unites.strategy }))
    .refine((unites) => unites.identifier.length > 0, 'Unites identifier cannot be empty')
    .optional()
    .describe('Unites of the node'),
});
export type GraphNodeModel = z.infer<typeof GraphNodeModel>;

export const RetryPolicyModel = z.object({
  max_retries: z.number().int().min(0).default(3).describe('The maximum number of retries'),
  strategy: z.nativeEnum(RetryStrategyEnum).default(RetryStrategyEnum.EXPONENTIAL).describe('The method of retry'),
  backoff_factor: z
    .number()
    .int()
    .positive()
    .default(2000)
    .describe('The backoff factor in milliseconds (default: 2000 = 2 seconds)'),
  exponent: z.number().int().positive().default(2).describe('The exponent for the exponential retry strategy'),
  max_delay: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('The maximum delay in milliseconds (no default limit when None)'),
});
export type RetryPolicyModel = z.infer<typeof RetryPolicyModel>;

export const StoreConfigModel = z.object({
  required_keys: z
    .array(z.string())
    .transform((keys) => keys.map((key) => key.trim()))
    .superRefine((keys, context) => addProblems(storeKeyProblems(keys), context))
    .default([])
    .describe('Required keys of the store'),
  default_values: z
    .record(z.string())
    .transform((values) => {
      const normalized: Record<string, string> = {};
      for (const [key, value] of Object.entries(values)) normalized[key.trim()] = String(value);
      return { keys: Object.keys(values).map((key) => key.trim()), normalized };
    })
    .superRefine((value, context) => addProblems(storeKeyProblems(value.keys), context))
    .transform((value) => value.normalized)
    .default({})
    .describe('Default values of the store'),
});
export type StoreConfigModel = z.infer<typeof StoreConfigModel>;
