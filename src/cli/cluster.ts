/**
 * `yiban serve --workers N`: N server processes on one PostgreSQL (node:cluster; the workers
 * share the port, the primary only forks and watches them). What must hold across processes
 * does: sessions (a logout or revocation is announced on a LISTEN channel), ledger appends (one
 * head row, locked per append; one sequencer at a time through its lock), status-list slots (a
 * unique slot per certificate, lists opened with `on conflict do nothing`), events (claimed with
 * `FOR UPDATE SKIP LOCKED` and a lease) and decisions (row locks and the decision's primary key).
 * Per process, and so only approximately shared: the org and route caches (reference data, kept
 * for a minute) and the rate limits (each process counts its own requests). Metrics are per
 * process and summed by the primary when scraped (src/http/metrics-cluster.ts).
 */
import cluster from 'node:cluster';
import { answerClusterScrapes } from '../http/metrics-cluster.ts';

export const isClusterWorker = (): boolean => cluster.isWorker;

/** The bilingual refusal for several processes on the embedded database. */
export const WORKERS_NEED_POSTGRES =
  '多进程（--workers）需要 PostgreSQL（设置 DATABASE_URL）：内嵌数据库 PGlite 只能由一个进程打开 / --workers needs PostgreSQL (set DATABASE_URL): the embedded PGlite database is opened by one process only';

/** The process count `--workers` asks for, or null when it is not 1 to 64. */
export function parseWorkers(value: string): number | null {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= 64 ? n : null;
}

/**
 * Forks `count` workers (they run the same command line and serve), forks again any that dies
 * unexpectedly, and on SIGINT/SIGTERM stops them all and exits when they have.
 */
export function runCluster(count: number, log: (line: string) => void): void {
  let stopping = false;
  const fork = () => cluster.fork();
  // A scrape of GET /metrics reaches one worker; it asks here for every worker's metrics, summed.
  answerClusterScrapes();
  for (let i = 0; i < count; i++) fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    log(`进程 worker ${worker.process.pid} 退出 exited (${signal ?? code})，重新启动 starting another`);
    fork();
  });
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit(0);
    for (const w of workers) w?.process.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
