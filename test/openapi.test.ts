import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateOpenApi } from '../src/cli/openapi.ts';

describe('docs/openapi.json', () => {
  it('is the document the code generates (run `npm run openapi` after changing a route)', async () => {
    const generated = await generateOpenApi();
    const committed = readFileSync(new URL('../docs/openapi.json', import.meta.url), 'utf8');
    expect(JSON.parse(committed)).toEqual(JSON.parse(generated));
    const doc = JSON.parse(generated) as { openapi: string; paths: Record<string, Record<string, { responses: object }>> };
    expect(doc.openapi).toBe('3.1.0');
    // Every operation documents its responses.
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) expect(Object.keys(op.responses), `${method} ${path}`).not.toHaveLength(0);
    }
  });
});
