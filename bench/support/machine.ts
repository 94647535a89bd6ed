import { loadavg } from 'node:os';

/** The machine is shared: the load average says how much else was running during a benchmark. */
export function loadLine(): string {
  return `load average (1/5/15 min): ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ')}`;
}
