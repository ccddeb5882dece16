/**
 * The SDK's schema helpers, exported as it exports them: recognising zod object and string
 * schemas (by their `_def.typeName`, so that schemas built by another copy of zod are recognised
 * too) and the flat JSON schema the SDK registers for a node's inputs or outputs.
 *
 * The runtime itself registers the sidecar's string-only schema (internal/zod_inspect.ts), which
 * also allows string fields with a default; these functions keep the SDK's exact behaviour for
 * code that calls them.
 */
import type { z, ZodObject } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';

function typeName(value: unknown): unknown {
  if (!value || typeof value !== 'object') return undefined;
  if (typeof (value as { parse?: unknown }).parse !== 'function') return undefined;
  return (value as { _def?: { typeName?: unknown } })._def?.typeName;
}

/** Whether `value` is a zod object schema (`z.object({...})`). */
export function isZodObjectSchema(value: unknown): value is z.ZodObject<any> {
  return typeName(value) === 'ZodObject';
}

/** Whether `value` is a zod string schema (`z.string()` with any checks; not wrapped in a default). */
export function isZodStringSchema(value: unknown): value is z.ZodString {
  return typeName(value) === 'ZodString';
}

/**
 * The JSON schema of `zodSchema` (by zod-to-json-schema, as in the SDK) with `title` set; when
 * the converter answers with a `$ref` into `definitions`, the referenced schema flattened to
 * `{type: "object", properties, required, title, additionalProperties}`.
 */
export function generateFlatSchema(zodSchema: ZodObject<any>, title: string): Record<string, unknown> {
  const jsonSchema = zodToJsonSchema(zodSchema) as Record<string, any>;
  if (typeof jsonSchema.$ref === 'string' && jsonSchema.definitions) {
    const actual = jsonSchema.definitions[jsonSchema.$ref.replace('#/definitions/', '')] ?? {};
    return {
      type: 'object',
      properties: 'properties' in actual ? actual.properties : {},
      required: 'required' in actual ? actual.required || [] : [],
      title,
      additionalProperties: 'additionalProperties' in actual ? actual.additionalProperties || false : false,
    };
  }
  return { ...jsonSchema, title };
}
