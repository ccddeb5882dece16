/**
 * Looks at zod schemas by their `_def.typeName` rather than with `instanceof`, so that schemas
 * built by another copy of zod (the application's own) are recognised too.
 */
import type { ZodObject, ZodTypeAny } from 'zod';

function typeName(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  if (typeof (value as { parse?: unknown }).parse !== 'function') return undefined;
  const def = (value as { _def?: { typeName?: unknown } })._def;
  return typeof def?.typeName === 'string' ? def.typeName : undefined;
}

export { isZodObjectSchema } from '../utils.js';

/**
 * A string field: `z.string()` (with any checks), or one with a default value,
 * `z.string().default("100")`, as the SDK README's configurable node declares it.
 */
export function isStringField(value: unknown): boolean {
  const name = typeName(value);
  if (name === 'ZodString') return true;
  if (name === 'ZodDefault') {
    return isStringField((value as { _def: { innerType: unknown } })._def.innerType);
  }
  return false;
}

export function hasDefault(value: unknown): boolean {
  return typeName(value) === 'ZodDefault';
}

export function fieldNames(schema: ZodObject<any>): string[] {
  return Object.keys(schema.shape as Record<string, ZodTypeAny>);
}

/**
 * The JSON schema registered for a node's inputs or outputs, in the flat form the SDK registers:
 * every field a `{"type": "string"}` property, required unless it has a default.
 */
export function flatJsonSchema(schema: ZodObject<any>, title: 'Inputs' | 'Outputs'): object {
  const shape = schema.shape as Record<string, ZodTypeAny>;
  const properties: Record<string, { type: 'string' }> = {};
  const required: string[] = [];
  for (const [field, fieldSchema] of Object.entries(shape)) {
    properties[field] = { type: 'string' };
    if (!hasDefault(fieldSchema)) required.push(field);
  }
  return { type: 'object', properties, required, title, additionalProperties: false };
}

interface IssueLike {
  path: (string | number)[];
  message: string;
}

export function isZodError(error: unknown): error is Error & { issues: IssueLike[] } {
  return (
    error instanceof Error &&
    error.name === 'ZodError' &&
    Array.isArray((error as { issues?: unknown }).issues)
  );
}

/** "field 'data': Required; field 'max_length': Expected string, received number" */
export function describeIssues(issues: IssueLike[]): string {
  return issues
    .map((issue) =>
      issue.path.length > 0 ? `field '${issue.path.join('.')}': ${issue.message}` : issue.message,
    )
    .join('; ');
}
