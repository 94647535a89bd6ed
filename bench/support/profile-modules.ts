/**
 * Where a V8 CPU profile's time goes, by module: each sample is charged to the nearest frame (from
 * the leaf up) that belongs to a known module of the project or library (the database driver, the
 * PDF libraries, the ledger, …), so time in a library or node's internals counts for whoever
 * called it. A second view charges each sample under the bundle service to the step the bundle
 * took (the first call out of src/modules/bundles into another module).
 *
 *   npx tsx bench/support/profile-modules.ts /tmp/bundle.cpuprofile
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The module a frame belongs to, or null for frames that count for their caller (node internals, unclassified libraries). */
function moduleOf(url: string, functionName: string): string | null {
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(idle)' || functionName === '(program)') return `(${functionName.slice(1, -1)})`;
  if (/node_modules\/(pg|pg-protocol|pg-pool|pg-types|postgres-[a-z]+|drizzle-orm|@electric-sql)\//.test(url)) return 'database driver';
  if (/src\/db\//.test(url)) return 'database driver';
  if (/node_modules\/(pdf-lib|@pdf-lib|@signpdf|pako|qrcode|@peculiar|asn1js|pvtsutils)\//.test(url)) return 'PDF';
  if (/src\/modules\/certificates\/pdf\//.test(url)) return 'PDF';
  const m = /src\/(modules\/[a-z-]+|core|verify|demo|http)\//.exec(url);
  if (m) return m[1]!.replace('modules/', '');
  if (/node_modules\/(@noble|canonicalize)\//.test(url)) return 'crypto/canonical JSON';
  return null;
}

export function breakdown(profile: CpuProfile): { byModule: Map<string, number>; byStep: Map<string, number>; totalMs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const ownerCache = new Map<number, string>();
  const stepCache = new Map<number, string>();
  const owner = (id: number): string => {
    const cached = ownerCache.get(id);
    if (cached) return cached;
    let result = 'node/other';
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      const m = moduleOf(f.url, f.functionName);
      if (m) {
        result = m;
        break;
      }
    }
    ownerCache.set(id, result);
    return result;
  };
  const step = (id: number): string => {
    const cached = stepCache.get(id);
    if (cached) return cached;
    const chain: ProfileNode[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) chain.push(byId.get(cur)!);
    chain.reverse();
    let result = '(outside bundles)';
    let inBundles = false;
    for (const n of chain) {
      const m = moduleOf(n.callFrame.url, n.callFrame.functionName);
      if (m === 'bundles') {
        inBundles = true;
        result = 'bundles itself';
      } else if (inBundles && m && m !== 'bundles') {
        result = `${m}: ${n.callFrame.functionName || '(anonymous)'}`;
        break;
      }
    }
    stepCache.set(id, result);
    return result;
  };
  const byModule = new Map<string, number>();
  const byStep = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const o = owner(id);
    if (o === '(idle)') return;
    totalMs += ms;
    byModule.set(o, (byModule.get(o) ?? 0) + ms);
    const s = step(id);
    byStep.set(s, (byStep.get(s) ?? 0) + ms);
  });
  return { byModule, byStep, totalMs };
}

export function printBreakdown(profile: CpuProfile, perUnit = 1, unit = 'run'): void {
  const { byModule, byStep, totalMs } = breakdown(profile);
  const rows = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .filter(([, ms]) => ms / totalMs >= 0.005)
      .map(
        ([k, ms]) =>
          `    ${k.padEnd(44)} ${(ms / perUnit).toFixed(1).padStart(7)} ms/${unit}  ${((100 * ms) / totalMs).toFixed(1).padStart(5)} %`,
      )
      .join('\n');
  console.log(
    `  profile: ${(totalMs / perUnit).toFixed(1)} ms/${unit} sampled (not idle)\n  by module (a library's time counts for its caller):`,
  );
  console.log(rows(byModule));
  console.log('  by bundle step (the call out of the bundle service):');
  console.log(rows(byStep));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, n] = process.argv.slice(2);
  printBreakdown(JSON.parse(readFileSync(file!, 'utf8')) as CpuProfile, Number(n ?? 1), n ? 'unit' : 'run');
}
