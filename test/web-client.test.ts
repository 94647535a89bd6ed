import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateClientTypes } from '../src/cli/gen-client.ts';

const WEB = new URL('../web/src/', import.meta.url);
const GENERATED = 'shared/api-types.ts';

function sources(dir: string, base = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const rel = path.posix.join(base, entry.name);
    if (entry.isDirectory()) return sources(path.join(dir, entry.name), rel);
    return /\.tsx?$/.test(entry.name) ? [rel] : [];
  });
}

// Issue 12: the web's API types come from docs/openapi.json, and no hand-written web file passes 350 lines.
describe('the generated web client', () => {
  it('web/src/shared/api-types.ts is what openapi-typescript makes of docs/openapi.json (npm run gen:client)', async () => {
    const openapi = readFileSync(new URL('../docs/openapi.json', import.meta.url), 'utf8');
    expect(readFileSync(new URL(GENERATED, WEB), 'utf8')).toBe(await generateClientTypes(openapi));
  }, 60_000);

  it('api.ts and api-models.ts declare no API shapes by hand (interfaces live in the generated file)', () => {
    for (const file of ['shared/api.ts', 'shared/api-models.ts']) {
      const text = readFileSync(new URL(file, WEB), 'utf8');
      expect(text, file).not.toMatch(/^export interface (?!ApiOptions\b)/m);
    }
  });

  it('keeps every hand-written web source file within 350 lines', () => {
    const long = sources(new URL(WEB).pathname)
      .filter((file) => file !== GENERATED)
      .map((file) => ({ file, lines: readFileSync(new URL(file, WEB), 'utf8').split('\n').length - 1 }))
      .filter((f) => f.lines > 350);
    expect(long).toEqual([]);
  });
});
