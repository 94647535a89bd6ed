/**
 * Where a V8 CPU profile's time goes, by module: each sample is charged to the nearest frame (from
 * the leaf up) that belongs to a known module of the project or library (the database driver, the
 * PDF libraries, the ledger, …), so time in a library or node's internals counts for whoever
 * called it. (Async code resumes with a short stack, so a view by caller would mostly say
 * "unknown"; bench/bundle.ts --steps measures the bundle's calls with process.cpuUsage instead.)
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

export function breakdown(profile: CpuProfile): { byModule: Map<string, number>; totalMs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const ownerCache = new Map<number, string>();
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
  const byModule = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const o = owner(id);
    if (o === '(idle)') return;
    totalMs += ms;
    byModule.set(o, (byModule.get(o) ?? 0) + ms);
  });
  return { byModule, totalMs };
}

/**
 * Prints the shares of the samples by module and, given the CPU the run measured, what they come
 * to per unit. The sampler ticks on wall time: on a loaded machine a thread taken off the CPU in
 * the middle of a call (a socket write, often) is charged to that call, so the shares lean towards
 * the driver; the shares on a quiet machine are the ones to trust.
 */
export function printBreakdown(profile: CpuProfile, units = 1, unit = 'run', cpuMsPerUnit?: number): void {
  const { byModule, totalMs } = breakdown(profile);
  console.log(
    `  profile: ${(totalMs / units).toFixed(1)} ms/${unit} sampled (wall-clock ticks, not idle)` +
      (cpuMsPerUnit !== undefined ? `; shares applied to the ${cpuMsPerUnit.toFixed(1)} ms of node CPU/${unit} measured` : ''),
  );
  for (const [k, ms] of [...byModule].sort((a, b) => b[1] - a[1])) {
    const share = ms / totalMs;
    if (share < 0.005) continue;
    const per = cpuMsPerUnit !== undefined ? share * cpuMsPerUnit : ms / units;
    console.log(`    ${k.padEnd(28)} ${(100 * share).toFixed(1).padStart(5)} %  ${per.toFixed(1).padStart(6)} ms/${unit}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, n] = process.argv.slice(2);
  printBreakdown(JSON.parse(readFileSync(file!, 'utf8')) as CpuProfile, Number(n ?? 1), n ? 'unit' : 'run');
}
