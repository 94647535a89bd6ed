// Loads `yiban verify` from a bundle precompiled with esbuild (dist/cli/verify/), rebuilt when any
// of its sources is newer than the bundle; node then runs plain JavaScript without tsx. When the
// bundle cannot be built (no esbuild, read-only folder) the sources run through tsx as before.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'cli', 'verify');
const entry = path.join(outdir, 'verify-main.js');
const meta = path.join(outdir, 'inputs.json');

function fresh() {
  try {
    const built = statSync(entry).mtimeMs;
    const inputs = JSON.parse(readFileSync(meta, 'utf8'));
    return inputs.every((file) => statSync(path.join(root, file)).mtimeMs <= built);
  } catch {
    return false;
  }
}

async function build() {
  const { build: esbuild } = await import('esbuild');
  mkdirSync(outdir, { recursive: true });
  const result = await esbuild({
    absWorkingDir: root,
    entryPoints: ['src/cli/verify-main.ts'],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Everything in: one file per chunk loads far faster than hundreds of CommonJS modules (pdf-lib).
    mainFields: ['module', 'main'],
    // Bundled CommonJS (commander) requires node built-ins.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    metafile: true,
    logLevel: 'silent',
  });
  writeFileSync(meta, JSON.stringify(Object.keys(result.metafile.inputs)));
}

export async function runVerify() {
  if (!fresh()) {
    try {
      await build();
    } catch {
      const { register } = await import('tsx/esm/api');
      register();
      await import('../src/cli/verify-main.ts');
      return;
    }
  }
  await import(pathToFileURL(entry).href);
}

export const verifyBundleExists = () => existsSync(entry);
