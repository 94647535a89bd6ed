import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface Schema {
  type?: string;
  format?: string;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  anyOf?: Schema[];
}

/**
 * Free-text parameters (search words): a maximum length is all the shape they have; the input
 * guard (src/http/input-guard.ts) refuses control characters in them as in every parameter.
 */
const FREE_TEXT = new Set(['q']);

/**
 * A path or query parameter says what it accepts: a format (uuid, date), a pattern or an enum
 * for a string, a range for a number. A bare or merely length-limited string is how `-1` and
 * `%00` reached the database and came back as 500s; this keeps a new route from doing it again.
 */
function shapeProblem(schema: Schema, name = ''): string | null {
  if (schema.anyOf) {
    const problems = schema.anyOf.map((s) => shapeProblem(s, name)).filter((p) => p !== null);
    return problems[0] ?? null;
  }
  if (schema.enum || schema.const !== undefined) return null;
  switch (schema.type) {
    case 'string':
      if (schema.format || schema.pattern) return null;
      if (FREE_TEXT.has(name) && schema.maxLength !== undefined) return null;
      return 'a string without format, pattern or enum';
    case 'integer':
    case 'number':
      return schema.minimum !== undefined && schema.maximum !== undefined ? null : 'a number without minimum and maximum';
    case 'boolean':
      return null;
    case undefined:
    default:
      return `type ${String(schema.type)}`;
  }
}

describe('docs/openapi.json parameters', () => {
  const doc = JSON.parse(readFileSync(new URL('../docs/openapi.json', import.meta.url), 'utf8')) as {
    paths: Record<string, Record<string, { parameters?: { in: string; name: string; schema: Schema }[] }>>;
  };

  it('gives every path and query parameter a format, pattern, enum or range (free text: a maxLength)', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const p of op.parameters ?? []) {
          if (p.in !== 'path' && p.in !== 'query') continue;
          checked++;
          const problem = shapeProblem(p.schema, p.name);
          if (problem) problems.push(`${method.toUpperCase()} ${path} ${p.in} ${p.name}: ${problem}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(60);
    expect(problems).toEqual([]);
  });

  it('names every id in a path as a uuid', () => {
    const loose: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const p of op.parameters ?? []) {
          if (p.in === 'path' && p.name === 'id' && p.schema.format !== 'uuid') loose.push(`${method.toUpperCase()} ${path}`);
        }
      }
    }
    expect(loose).toEqual([]);
  });

  it('catches a bare string (the check itself can fail)', () => {
    expect(shapeProblem({ type: 'string' })).not.toBeNull();
    expect(shapeProblem({ type: 'string', maxLength: 64 }, 'id')).not.toBeNull();
    expect(shapeProblem({ type: 'string', maxLength: 50 }, 'q')).toBeNull();
    expect(shapeProblem({ type: 'integer', minimum: 0 })).not.toBeNull();
    expect(shapeProblem({ anyOf: [{ type: 'string', enum: ['a'] }, { type: 'string' }] })).not.toBeNull();
    expect(shapeProblem({ type: 'string', format: 'uuid' })).toBeNull();
  });
});
