/**
 * ARCHITECTURE.md's module map, generated from the code: for each module under src/modules, the
 * tables its `*.tables.ts` files define; the services of other modules that `createServices` in
 * src/app.ts hands to its services (the wiring); the other modules its (non-test) files import,
 * with the files imported; and the modules that use it either way. The table goes between the
 * markers `<!-- module-map:start -->` and `<!-- module-map:end -->`.
 *
 *   npx tsx scripts/module-map.ts          rewrites the map in ARCHITECTURE.md
 *   npx tsx scripts/module-map.ts --check  exits 1 when the map in ARCHITECTURE.md is not the generated one (CI)
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';

const APP = 'src/app.ts';
const LAYOUT = ['tables', 'repository', 'service', 'schemas', 'routes'];
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODULES = path.join(ROOT, 'src/modules');
const DOC = path.join(ROOT, 'ARCHITECTURE.md');
const START = '<!-- module-map:start -->';
const END = '<!-- module-map:end -->';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [full] : [];
  });
}

interface Import {
  specifier: string;
  /** `import type { … }` or every name imported with `type`. */
  typeOnly: boolean;
}

/** Relative imports: static ones (type-only noted), re-exports and dynamic imports (values). */
function importsOf(source: string): Import[] {
  const found: Import[] = [];
  for (const m of source.matchAll(/\bimport\s+(type\s+)?([^'";]*?)\s*from\s*['"](\.[^'"]+)['"]/g)) {
    const names = /\{([^}]*)\}/.exec(m[2]!)?.[1];
    const allTypes =
      !!names &&
      !/^[\w$]+\s*,|\*/.test(m[2]!.trim()) &&
      names
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean)
        .every((n) => n.startsWith('type '));
    found.push({ specifier: m[3]!, typeOnly: !!m[1] || allTypes });
  }
  for (const re of [
    /\bexport\s[^'";]*?from\s*['"](\.[^'"]+)['"]/g,
    /\bimport\s+['"](\.[^'"]+)['"]/g,
    /\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g,
  ])
    for (const m of source.matchAll(re)) found.push({ specifier: m[1]!, typeOnly: false });
  return found;
}

/** The module a path under src/modules belongs to, and the path inside it. */
function moduleOf(file: string): { module: string; inside: string } | null {
  const rel = path.relative(MODULES, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
  const [module, ...rest] = rel.split(path.sep);
  return rest.length ? { module: module!, inside: rest.join('/').replace(/\.tsx?$/, '') } : null;
}

interface ModuleInfo {
  tables: string[];
  /** Services of other modules app.ts passes to this module's services (by module). */
  wired: Set<string>;
  /** Other module → the files of it this module imports → whether only types are imported from it. */
  uses: Map<string, Map<string, boolean>>;
  /** Which of the usual files the module has (tables, repository, service, schemas, routes). */
  layout: string[];
  usedBy: Map<string, Set<string>>;
}

/** Value imports of another module's tables or repository, found by the last `moduleGraph()`. */
const violations: string[] = [];

export function moduleGraph(): Map<string, ModuleInfo> {
  const modules = readdirSync(MODULES)
    .filter((n) => statSync(path.join(MODULES, n)).isDirectory())
    .sort();
  const graph = new Map<string, ModuleInfo>(
    modules.map((m) => [m, { tables: [], wired: new Set(), uses: new Map(), usedBy: new Map(), layout: [] }]),
  );
  for (const [module, wired] of appWiring())
    for (const other of wired) if (graph.has(module) && graph.has(other)) graph.get(module)!.wired.add(other);
  for (const module of modules) {
    const info = graph.get(module)!;
    const names = readdirSync(path.join(MODULES, module));
    // A module may split a layer by concern (accounts.repository.ts, sessions.repository.ts): any such file counts.
    info.layout = LAYOUT.filter((part) => names.some((name) => name.endsWith(`.${part}.ts`)));
    for (const file of sourceFiles(path.join(MODULES, module))) {
      const source = readFileSync(file, 'utf8');
      if (file.endsWith('.tables.ts')) for (const m of source.matchAll(/pgTable\(\s*['"]([a-z0-9_]+)['"]/g)) info.tables.push(m[1]!);
      for (const { specifier, typeOnly } of importsOf(source)) {
        const target = moduleOf(path.resolve(path.dirname(file), specifier));
        if (!target || target.module === module || !graph.has(target.module)) continue;
        if (!typeOnly && /\.(tables|repository)$/.test(target.inside))
          violations.push(
            `${path.relative(ROOT, file)} imports ${target.module}/${target.inside} (only types may come from another module's tables or repository)`,
          );
        const used = info.uses.get(target.module) ?? new Map<string, boolean>();
        used.set(target.inside, (used.get(target.inside) ?? true) && typeOnly);
        info.uses.set(target.module, used);
        const other = graph.get(target.module)!;
        const by = other.usedBy.get(module) ?? new Set<string>();
        by.add(target.inside);
        other.usedBy.set(module, by);
      }
    }
  }
  return graph;
}

/** The text between the bracket at `open` and its partner (strings and comments are not special-cased; app.ts has no stray brackets in them). */
function enclosed(source: string, open: number): string {
  const pairs: Record<string, string> = { '(': ')', '{': '}' };
  const close = pairs[source[open]!];
  if (!close) throw new Error(`${APP}: no bracket at offset ${open}`);
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    if (source[i] === source[open]) depth++;
    else if (source[i] === close && --depth === 0) return source.slice(open + 1, i);
  }
  throw new Error(`${APP}: unbalanced brackets after offset ${open}`);
}

/**
 * The wiring in `createServices` (src/app.ts): each `const x = createY({ … })`, where `createY`
 * comes from src/modules/<m>/…, makes x a service of module m; the services named in the
 * arguments (`late.x` included) are what module m's service is given.
 */
export function appWiring(): Map<string, Set<string>> {
  const source = readFileSync(path.join(ROOT, APP), 'utf8');
  const factoryModule = new Map<string, string>();
  for (const m of source.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'\.\/modules\/([a-z]+)\//g))
    for (const name of m[1]!.split(',').map((n) =>
      n
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .pop()!,
    ))
      if (name) factoryModule.set(name, m[2]!);
  const start = source.indexOf('export function createServices(');
  if (start < 0) throw new Error(`${APP}: createServices not found`);
  const params = source.indexOf('(', start);
  const bodyText = enclosed(source, source.indexOf('{', params + enclosed(source, params).length + 2));
  const serviceModule = new Map<string, string>();
  const calls: { module: string; args: string }[] = [];
  for (const m of bodyText.matchAll(/const\s+(\w+)\s*=\s*(create\w+)\(/g)) {
    const module = factoryModule.get(m[2]!);
    if (!module) continue;
    serviceModule.set(m[1]!, module);
    calls.push({ module, args: enclosed(bodyText, m.index + m[0].length - 1) });
  }
  const wiring = new Map<string, Set<string>>();
  for (const { module, args } of calls) {
    const given = wiring.get(module) ?? new Set<string>();
    for (const [service, of] of serviceModule)
      if (of !== module && new RegExp(`(?<![\\w'".])(late\\.)?${service}\\b(?!\\s*:)`).test(args)) given.add(of);
    wiring.set(module, given);
  }
  return wiring;
}

/** `identity (identity.tables: types, principal)`: the files of each module imported, marked when only types come from them. */
const imports = (edges: Map<string, Map<string, boolean>>) =>
  edges.size === 0
    ? '—'
    : [...edges.keys()]
        .sort()
        .map(
          (m) =>
            `${m} (${[...edges.get(m)!]
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([file, typeOnly]) => (typeOnly ? `${file}: types` : file))
              .join(', ')})`,
        )
        .join('; ');

export function renderModuleMap(graph = moduleGraph()): string {
  const usedBy = (module: string) => {
    const by = new Set([...graph.get(module)!.usedBy.keys()]);
    for (const [other, info] of graph) if (info.wired.has(module)) by.add(other);
    return [...by].sort().join(', ') || '—';
  };
  const rows = [...graph].map(
    ([module, info]) =>
      `| ${module} | ${info.layout.join(', ') || '—'} | ${info.tables.map((t) => `\`${t}\``).join(', ') || '—'} | ${[...info.wired].sort().join(', ') || '—'} | ${imports(info.uses)} | ${usedBy(module)} |`,
  );
  return [
    START,
    '<!-- Generated by `npx tsx scripts/module-map.ts` from the wiring in `createServices` (src/app.ts) and the imports of src/modules/*/**.ts (tests left out); CI checks it with --check. Edit the code, not this table. -->',
    '',
    '| module | usual files (`<module>.*.ts`) | owns (tables) | given by app.ts (services of) | imports (module: files) | used by (either way) |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    END,
  ].join('\n');
}

async function main(): Promise<void> {
  const doc = readFileSync(DOC, 'utf8');
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) {
    console.error(`ARCHITECTURE.md: the markers ${START} and ${END} are missing`);
    process.exit(1);
  }
  // Formatted as `npm run format` would, so that the check and Prettier's check agree.
  const next = await format(doc.slice(0, start) + renderModuleMap() + doc.slice(end + END.length), {
    ...(await resolveConfig(DOC)),
    filepath: DOC,
  });
  if (process.argv.includes('--check')) {
    if (violations.length) {
      console.error(`A module queries another's tables:\n  ${violations.join('\n  ')}`);
      process.exit(1);
    }
    if (next !== doc) {
      console.error('ARCHITECTURE.md: the module map is out of date; run  npx tsx scripts/module-map.ts  and commit it');
      process.exit(1);
    }
    console.log('ARCHITECTURE.md: the module map matches the imports');
    return;
  }
  if (next !== doc) writeFileSync(DOC, next);
  console.log(next === doc ? 'ARCHITECTURE.md: module map unchanged' : 'ARCHITECTURE.md: module map rewritten');
}

await main();
