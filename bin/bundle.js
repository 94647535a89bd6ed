// Runs a `yiban` entry point from a bundle of src/ precompiled with esbuild (dist/cli/<name>/<build>/),
// rebuilt when any of its sources is newer than the build or gone. Through tsx, every start loaded
// some 650 TypeScript modules one by one through its loader hooks: ~5 s of CPU before the first line
// of `yiban --help` on a slow machine. YIBAN_CLI_BUNDLE=off, or a bundle that cannot be built (no
// esbuild, a read-only folder), runs the sources through tsx as before.
//
// Concurrent starts (a test suite spawning many) may each build once: every build goes to its own
// folder and `current.json` names the newest, replaced atomically; folders older than the newest
// three are removed an hour after they were built (a process still running may load their chunks).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KEEP = 3;
const KEEP_MS = 60 * 60 * 1000;

/**
 * @typedef {object} BundleSpec
 * @property {string} name   the folder under dist/cli/ and the entry's name in it
 * @property {string} source the entry point, relative to the project root (src/cli/….ts)
 * @property {Record<string, unknown>} [options] esbuild options added to the common ones
 */

/** The entry of the current build when it is newer than every one of its sources, else null. */
function fresh(base, name) {
  try {
    const current = JSON.parse(readFileSync(path.join(base, 'current.json'), 'utf8'));
    if (current.root !== root) return null;
    const entry = path.join(base, current.dir, `${name}.js`);
    statSync(entry);
    return current.inputs.every((file) => statSync(path.join(root, file)).mtimeMs <= current.startedAt) ? entry : null;
  } catch {
    return null;
  }
}

/**
 * Each source of src/ that reads `import.meta.url` (a file beside it, a package resolved from it) is
 * given its own URL, as if it ran from src/: every chunk of a build lies in the build's folder, so
 * the path from there to the source is known when the source is loaded.
 */
const sourceUrls = (outdir) => ({
  name: 'source-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.[cm]?ts$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return { contents: text, loader: 'ts' };
      const relative = path.relative(outdir, args.path).split(path.sep).join('/');
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(relative)}, import.meta.url).href`), loader: 'ts' };
    });
  },
});

/** @param {BundleSpec} spec */
async function build(spec, base) {
  const { build: esbuild } = await import('esbuild');
  const startedAt = Date.now();
  const dir = `${startedAt.toString(36)}-${process.pid}`;
  const outdir = path.join(base, dir);
  mkdirSync(outdir, { recursive: true });
  const result = await esbuild({
    absWorkingDir: root,
    entryPoints: { [spec.name]: spec.source },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    plugins: [sourceUrls(outdir)],
    metafile: true,
    logLevel: 'silent',
    ...spec.options,
  });
  // The bundled packages' files count too (an `npm ci` that changed one builds again).
  const inputs = Object.keys(result.metafile.inputs).filter((file) => !file.startsWith('<'));
  // Any file edited after the build began is newer than startedAt: the next start builds again.
  const next = path.join(base, `current.${process.pid}.json`);
  writeFileSync(next, JSON.stringify({ root, dir, startedAt, inputs }));
  renameSync(next, path.join(base, 'current.json'));
  prune(base, dir);
  return path.join(outdir, `${spec.name}.js`);
}

function prune(base, keep) {
  try {
    const builds = readdirSync(base, { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name !== keep)
      .map((d) => ({ name: d.name, at: statSync(path.join(base, d.name)).mtimeMs }))
      .sort((a, b) => b.at - a.at);
    for (const old of builds.slice(KEEP - 1))
      if (Date.now() - old.at > KEEP_MS) rmSync(path.join(base, old.name), { recursive: true, force: true });
  } catch {
    // another start pruned it first
  }
}

/** Loads the entry point from its bundle, building it first when it is missing or stale. @param {BundleSpec} spec */
export async function runBundled(spec) {
  const off = process.env.YIBAN_CLI_BUNDLE === 'off';
  const base = path.join(root, 'dist', 'cli', spec.name);
  let entry = off ? null : fresh(base, spec.name);
  if (!entry && !off) entry = await build(spec, base).catch(() => null);
  if (entry) {
    await import(pathToFileURL(entry).href);
    return;
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(path.join(root, spec.source)).href);
}
