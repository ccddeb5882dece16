import type { Struct, StructValue } from './messages.js';

/**
 * google.protobuf.Value comes from protobufjs's bundled copy of struct.proto, whose field names
 * are camelCase (unlike the snake_case of keepCase for our own messages).
 *
 * Converts a JSON-like value to google.protobuf.Value as proto-loader expects it. Values JSON
 * cannot represent become what JSON.stringify makes of them: undefined members and functions are
 * dropped, Dates become strings, non-finite numbers become null.
 */
export function toStructValue(value: unknown): StructValue {
  const plain = value === undefined ? null : JSON.parse(JSON.stringify(value));
  return convert(plain);
}

export function toStruct(data: Record<string, unknown>): Struct {
  const value = toStructValue(data);
  return value.structValue ?? { fields: {} };
}

function convert(value: unknown): StructValue {
  if (value === null || value === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(convert) } };
  const fields: Record<string, StructValue> = {};
  for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
    fields[key] = convert(member);
  }
  return { structValue: { fields } };
}
