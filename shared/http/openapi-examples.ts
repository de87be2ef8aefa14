/** A JSON Schema object as zod emits it (2020-12). */
export type JsonSchema = Record<string, unknown>;

const EXAMPLE_GUID = '7d1c2a4e-3b5f-4c6d-8e9f-0a1b2c3d4e5f';
const EXAMPLE_TIME = '2026-01-15T09:30:00Z';

/** Example strings for property names that have an obvious shape. */
function stringFor(name: string, schema: JsonSchema): string {
  const pattern = typeof schema.pattern === 'string' ? new RegExp(schema.pattern) : undefined;
  if (schema.format === 'uuid' || /(^id$|Id$)/.test(name) || pattern?.test(EXAMPLE_GUID)) return EXAMPLE_GUID;
  if (schema.format === 'date-time' || /DateTime$/.test(name)) return EXAMPLE_TIME;
  if (name === '@odata.context') return 'https://pinreset.example.com/v1.0/$metadata#entity';
  if (name === '@odata.nextLink') return 'https://pinreset.example.com/v1.0/collection?$skiptoken=eyJjIjoiLi4uIn0';
  if (name === 'version') return '1.0.0';
  if (name === '@odata.type' || name === 'code') return name === 'code' ? 'Request_BadRequest' : '#microsoft.graph.entity';
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const text = name || 'text';
  return text.length >= minLength ? text : text.padEnd(minLength, 'x');
}

/**
 * A value that satisfies `schema` (resolving `$ref`s into `components`): the schema's own example or
 * const or first enum value, else the first branch of a union, the required properties of an object
 * (optional ones too, unless deeply nested), one item of an array.
 */
export function exampleOf(schema: JsonSchema, components: Record<string, JsonSchema>, name = '', depth = 0): unknown {
  if (depth > 30) return null;
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    const target = components[ref.replace('#/components/schemas/', '')];
    return target ? exampleOf(target, components, name, depth + 1) : null;
  }
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const branches = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(branches)) {
    const branch = branches.find((candidate) => candidate.type !== 'null') ?? branches[0];
    return branch ? exampleOf(branch, components, name, depth + 1) : null;
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((schema.required ?? []) as string[]);
      const value: Record<string, unknown> = {};
      for (const [property, propertySchema] of Object.entries(properties)) {
        if (required.has(property) || depth < 8) value[property] = exampleOf(propertySchema, components, property, depth + 1);
      }
      return value;
    }
    case 'array': {
      const items = schema.items as JsonSchema | undefined;
      return items ? [exampleOf(items, components, name, depth + 1)] : [];
    }
    case 'string':
      return stringFor(name, schema);
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 6;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return {};
  }
}
