import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

/** Linux reports process times in clock ticks; USER_HZ is 100 on every mainstream kernel build. */
const TICK_MS = 10;

/** CPU time (user + system) a process has used so far, from /proc; null when it is gone or not on Linux. */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at ") ": utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return null;
  }
}

/**
 * CPU used by a set of processes between start() and stop(): the app server, and the
 * PostgreSQL backends serving its database. On a machine shared with other work this is a
 * steadier figure than throughput: it says how much CPU one request costs, whoever else runs.
 */
export class CpuMeter {
  private before = new Map<number, number>();

  constructor(private readonly pids: () => Promise<number[]>) {}

  async start(): Promise<void> {
    this.before = snapshot(await this.pids());
  }

  /** Milliseconds of CPU since start(); a process that started in between counts from zero, one that ended is lost. */
  async stop(): Promise<number> {
    let total = 0;
    for (const [pid, ms] of snapshot(await this.pids())) total += ms - (this.before.get(pid) ?? 0);
    return total;
  }
}

function snapshot(pids: number[]): Map<number, number> {
  const map = new Map<number, number>();
  for (const pid of pids) {
    const ms = processCpuMs(pid);
    if (ms !== null) map.set(pid, ms);
  }
  return map;
}

/** Backend pids connected to one database (the app's pool), read through a separate admin connection. */
export async function backendPids(serverUrl: string, database: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    return rows.map((r) => r.pid);
  } finally {
    await client.end();
  }
}

/** A process and all its descendants (Linux /proc), e.g. a `yiban serve --workers N` primary and its workers. */
export function withDescendants(pids: readonly number[]): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone between the listing and the read
    }
  }
  const out = new Set(pids);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, parent] of parentOf)
      if (out.has(parent) && !out.has(pid)) {
        out.add(pid);
        grew = true;
      }
  }
  return [...out];
}
