import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('.', import.meta.url));
const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

// The verification package runs in the browser verifier too: no Node built-ins, no Buffer,
// and nothing from the server side of src/.
describe.each(sources)('src/verify/%s', (file) => {
  it('imports nothing that a browser lacks', () => {
    const text = readFileSync(`${dir}/${file}`, 'utf8');
    const imports = [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
    for (const specifier of imports) {
      expect(specifier, `${file} imports ${specifier}`).not.toMatch(/^node:|^(fs|path|crypto|zlib|os|child_process|buffer)$/);
      if (specifier.startsWith('.')) expect(specifier, `${file} imports ${specifier}`).toMatch(/^\.\/[^/]+$/);
    }
    expect(text).not.toMatch(/\bBuffer\./);
  });
});
