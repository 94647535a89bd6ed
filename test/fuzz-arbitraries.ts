import fc from 'fast-check';

/**
 * fast-check arbitraries read from the OpenAPI document: values that satisfy a parameter's or a
 * body's schema (so the request gets past validation into the service), and the classic nasty
 * values that should not (so validation and the guards are tried too).
 */

export interface JsonSchema {
  type?: string | string[];
  format?: string;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  patternProperties?: Record<string, JsonSchema>;
  maxProperties?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  $ref?: string;
}

export interface Parameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  required?: boolean;
  schema: JsonSchema;
}

export interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body?: JsonSchema;
}

export interface OpenApiDoc {
  paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** Every operation of the document, in document order. */
export function listOperations(doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const body = op.requestBody?.content['application/json']?.schema;
      ops.push({ method: method.toUpperCase(), path, parameters: op.parameters ?? [], ...(body ? { body } : {}) });
    }
  }
  return ops;
}

const INT32 = 2 ** 31 - 1;

/** Values that satisfy `schema` (as far as a generator can: patterns, formats, ranges, enums). */
export function validValue(
  schema: JsonSchema,
  doc: OpenApiDoc,
  pools: { uuids: readonly string[] } = { uuids: [] },
): fc.Arbitrary<unknown> {
  const recur = (s: JsonSchema): fc.Arbitrary<unknown> => validValue(s, doc, pools);
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = doc.components?.schemas?.[name];
    return target ? recur(target) : fc.jsonValue({ maxDepth: 2 });
  }
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map(recur));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return validString(schema, pools);
    case 'integer': {
      const lo = schema.minimum ?? -1000;
      const hi = schema.maximum ?? 1_000_000;
      if (lo >= -INT32 && hi <= INT32) return fc.integer({ min: lo, max: hi });
      return fc.oneof(fc.integer({ min: Math.max(lo, -INT32), max: Math.min(hi, INT32) }), fc.constant(hi), fc.constant(lo));
    }
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const item = schema.items ? recur(schema.items) : fc.jsonValue({ maxDepth: 1 });
      const constraints = { minLength: schema.minItems ?? 0, maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 4, 4)) };
      return schema.uniqueItems
        ? fc.uniqueArray(item, { ...constraints, selector: (v) => JSON.stringify(v) })
        : fc.array(item, constraints);
    }
    case 'object':
      return validObject(schema, recur);
    case undefined:
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function validString(schema: JsonSchema, pools: { uuids: readonly string[] }): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  // A pattern bounds the length itself (^[0-9a-f]{64}$ has no maxLength): a default maximum below
  // what the pattern requires would leave the filter nothing to pass, and sampling would never end.
  const max = schema.maxLength ?? (schema.pattern ? Number.POSITIVE_INFINITY : 60);
  const fits = (s: string) => s.length >= min && s.length <= max;
  switch (schema.format) {
    case 'uuid':
      return pools.uuids.length > 0 ? fc.oneof(fc.uuid(), fc.constantFrom(...pools.uuids)) : fc.uuid();
    case 'date-time':
      return fc.date({ min: new Date('1990-01-01'), max: new Date('2040-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
    case 'date':
      return fc
        .date({ min: new Date('1900-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 10));
    case undefined:
    default:
      break;
  }
  if (schema.pattern) {
    const generated = fc.stringMatching(new RegExp(schema.pattern)).filter(fits);
    return min === 0 ? fc.oneof(generated, fc.constant('')).filter(fits) : generated;
  }
  return fc
    .oneof(
      fc.string({ minLength: min, maxLength: Math.min(max, 40), unit: 'grapheme' }),
      fc.string({ minLength: min, maxLength: Math.min(max, 40), unit: 'grapheme-ascii' }),
    )
    .filter(fits);
}

function validObject(schema: JsonSchema, recur: (s: JsonSchema) => fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const props = schema.properties ?? {};
  const fixed =
    Object.keys(props).length > 0
      ? fc.record(Object.fromEntries(Object.entries(props).map(([k, s]) => [k, recur(s)])), { requiredKeys: schema.required ?? [] })
      : fc.constant({});
  const maxKeys = Math.min(schema.maxProperties ?? 4, 4);
  const patterned = Object.entries(schema.patternProperties ?? {});
  let extra: fc.Arbitrary<Record<string, unknown>> = fc.constant({});
  if (patterned.length > 0) {
    const [keyPattern, valueSchema] = patterned[0]!;
    extra = fc.dictionary(fc.stringMatching(new RegExp(keyPattern)), recur(valueSchema), { maxKeys });
  } else if (typeof schema.additionalProperties === 'object') {
    extra = fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), recur(schema.additionalProperties), { maxKeys });
  }
  return fc.tuple(fixed, extra).map(([a, b]) => ({ ...b, ...a }));
}

const HUGE = 'x'.repeat(100_000);

/** The classics, as strings: for paths, query values and string fields. */
export const NASTY_STRINGS: readonly string[] = [
  '\u0000',
  'a\u0000b',
  '\u0001\u0007\u001b[31m',
  '\ud800',
  'x\udfffy',
  '',
  ' ',
  '-1',
  '0',
  '1.5',
  '9'.repeat(40),
  '-9223372036854775809',
  '1e309',
  'NaN',
  'null',
  'true',
  '[]',
  '{}',
  '../../../etc/passwd',
  "' OR 1=1 --",
  '%',
  '%00',
  '%%',
  '\\',
  '*',
  '𠮷𠮷𠮷',
  '👨‍👩‍👧‍👦',
  '\u202etxt.exe',
  '\ufeff',
  'ǅ̵̡̢̛̗̘̙̜̝̞̟̠̤̥̦̩̪̫̬̭̮̯̰̱̲̳̹̺̻̼͇͈͉͍͎̀́̂̃̄̅̆̇̈̉̊̋̌̍̎̏̐̑̒̓̔̽̾̿̀́͂̓̈́͆͊͋͌̕̚ͅ͏͓͔͕͖͙͚͐͑͒͗͛ͣͤͥͦͧͨͩͪͫͬͭͮͯ͘͜͟͢͝͞͠͡',
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  '00000000-0000-0000-0000-00000000000g',
  '130123100242',
  '1301231002420',
  '2099-01-01',
  '0000-00-00',
  '9999-12-31',
  '<script>alert(1)</script>',
  'x'.repeat(1000),
  'x'.repeat(20_000),
];

/** The classics of any JSON type: for body fields and whole bodies. */
export const NASTY_VALUES: readonly unknown[] = [
  ...NASTY_STRINGS,
  HUGE,
  -1,
  0,
  -0,
  1.5,
  1e308,
  -1e308,
  2 ** 53,
  2 ** 63,
  -(2 ** 63),
  Number.MAX_SAFE_INTEGER + 2,
  true,
  false,
  null,
  [],
  [null],
  ['a', 'b'],
  [1, '2', { three: 3 }],
  {},
  { a: { b: { c: [] } } },
  JSON.parse('{"__proto__": {"admin": true}, "constructor": {"prototype": {"admin": true}}}') as unknown,
  { '\u0000': 'key with NUL' },
];

/** Bodies that are not a JSON value the client could build: sent as they are. */
export const RAW_BODIES: readonly string[] = [
  '['.repeat(100_000) + ']'.repeat(100_000),
  '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000),
  '{"a": 1,}',
  '{"a": 1} trailing',
  '',
  'null',
  '"\\u0000"',
  '{"x": "\\ud800"}',
  '\u0000',
  '\ufeff{}',
];

/**
 * encodeURIComponent, except that a lone surrogate (which it refuses) travels as the bytes
 * WTF-8 gives it, as a hostile client would send them.
 */
export function encodeUrlPart(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else {
      out += encodeURIComponent(ch);
    }
  }
  return out;
}

/** The few that have broken a server before, put into every parameter and body field by the sweep; the random part draws from all. */
export const CORE_NASTY_STRINGS: readonly string[] = [
  '\u0000',
  'a\u0000b',
  '\u0001\u0007\u001b[31m',
  'x\udfffy',
  '',
  '-1',
  '1e309',
  '9'.repeat(40),
  '𠮷👨‍👩‍👧‍👦',
  '../../../etc/passwd',
  '%',
  'x'.repeat(20_000),
];
export const CORE_NASTY_VALUES: readonly unknown[] = [
  ...CORE_NASTY_STRINGS,
  HUGE,
  -1,
  1.5,
  1e308,
  2 ** 63,
  null,
  true,
  [],
  ['a', 'b'],
  {},
  { '\u0000': 'key with NUL' },
];

export const nastyString = fc.constantFrom(...NASTY_STRINGS);
export const nastyValue = fc.constantFrom(...NASTY_VALUES);

/** A value that satisfies the schema, or one field of it broken, or a nasty value, or random JSON. */
export function bodyValue(schema: JsonSchema, doc: OpenApiDoc, pools: { uuids: readonly string[] }): fc.Arbitrary<unknown> {
  const valid = validValue(schema, doc, pools);
  const broken = fc.tuple(valid, nastyValue, fc.nat(), fc.boolean()).map(([value, nasty, pick, drop]) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return nasty;
    const keys = Object.keys(value);
    const copy: Record<string, unknown> = { ...value };
    const key = keys.length > 0 ? keys[pick % keys.length]! : 'extra';
    if (drop && keys.length > 0) delete copy[key];
    else copy[key] = nasty;
    return copy;
  });
  return fc.oneof(
    { arbitrary: valid, weight: 3 },
    { arbitrary: broken, weight: 4 },
    { arbitrary: nastyValue, weight: 1 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 },
  );
}

/** A parameter value as it travels in a URL: valid for its schema, or a nasty string. */
export function paramValue(schema: JsonSchema, doc: OpenApiDoc, pools: { uuids: readonly string[] }): fc.Arbitrary<string> {
  const valid = validValue(schema, doc, pools).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  return fc.oneof({ arbitrary: valid, weight: 2 }, { arbitrary: nastyString, weight: 1 });
}
