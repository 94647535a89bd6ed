/**
 * Named components for the OpenAPI document. fastify-swagger makes a schema with an `$id` a
 * component only where it is nested in a route's schema; a route's top-level body or response
 * stays inline, without its `$id` but with its `title`. Every named schema (`$id` in
 * src/**\/*.schemas.ts) has a `title` equal to its `$id`, so this pass moves each titled schema
 * into `components.schemas` under that name and leaves a `$ref` in its place: the web client
 * generated from the document (web/src/shared/api-types.ts) then has one type per name.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const PREFIX = '#/components/schemas/';

function stable(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable(value[k] as Json)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function nameComponents<T extends object>(document: T): T {
  const doc = document as unknown as JsonObject;
  const components = (doc.components ??= {}) as JsonObject;
  const schemas = (components.schemas ??= {}) as JsonObject;

  const hoist = (node: Json, isComponentRoot = false): Json => {
    if (Array.isArray(node)) return node.map((item) => hoist(item));
    if (node === null || typeof node !== 'object') return node;
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(node)) {
      // `properties` maps names to schemas: a property called "title" is not a title.
      out[key] = key === 'properties' && value && typeof value === 'object' && !Array.isArray(value) ? mapValues(value) : hoist(value);
    }
    const title = out.title;
    if (isComponentRoot || typeof title !== 'string' || !isSchema(out)) return out;
    const existing = schemas[title];
    if (existing !== undefined && stable(existing) !== stable(out)) {
      throw new Error(`OpenAPI: two different schemas are named ${title}`);
    }
    schemas[title] = out;
    return { $ref: PREFIX + title };
  };
  const mapValues = (value: JsonObject): JsonObject => Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hoist(v)]));

  for (const [name, schema] of Object.entries(schemas)) schemas[name] = hoist(schema, true);
  if (doc.paths) doc.paths = hoist(doc.paths);
  // Sorted names keep the committed document stable whichever route named a schema first.
  components.schemas = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
  return document;
}

function isSchema(node: JsonObject): boolean {
  return 'type' in node || 'anyOf' in node || 'oneOf' in node || 'allOf' in node || 'properties' in node || 'enum' in node;
}
