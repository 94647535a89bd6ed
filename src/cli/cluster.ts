/**
 * `yiban serve --workers N`: N server processes on one PostgreSQL (node:cluster; the workers
 * share the port, the primary only forks and watches them), and with the default `--role all` one
 * more, the background worker (`--role background`: the ledger's sequencer, the outbox's events,
 * the prunes, at a lower CPU priority), so that a request never waits behind a batch of that
 * work in the process that serves it. What must hold across processes
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

export type WorkerRole = 'all' | 'api' | 'background';

/** The environment variable that gives a forked worker its role. */
const ROLE_ENV = 'YIBAN_WORKER_ROLE';

/** In a worker: the role the primary forked it with (undefined outside a cluster). */
export function clusterWorkerRole(): WorkerRole | undefined {
  const role = cluster.isWorker ? process.env[ROLE_ENV] : undefined;
  return role === 'all' || role === 'api' || role === 'background' ? role : undefined;
}

/**
 * The workers `--workers N --role R` forks: with `all` (the default), N that serve HTTP only and one
 * that does the background work only; with `api` or `background`, N of that role (the rest of the
 * work is another command's).
 */
export function clusterRoles(count: number, role: WorkerRole): WorkerRole[] {
  const roles: WorkerRole[] = Array.from({ length: count }, () => (role === 'all' ? 'api' : role));
  return role === 'all' ? [...roles, 'background'] : roles;
}

/** The bilingual refusal for several processes on the embedded database. */
export const WORKERS_NEED_POSTGRES =
  '多进程（--workers）需要 PostgreSQL（设置 DATABASE_URL）：内嵌数据库 PGlite 只能由一个进程打开 / --workers needs PostgreSQL (set DATABASE_URL): the embedded PGlite database is opened by one process only';

/** The process count `--workers` asks for, or null when it is not 1 to 64. */
export function parseWorkers(value: string): number | null {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= 64 ? n : null;
}

/**
 * Forks a worker per role (they run the same command line, each in its role), forks again any that
 * dies unexpectedly (in the same role), and on SIGINT/SIGTERM stops them all and exits when they have.
 */
export function runCluster(roles: readonly WorkerRole[], log: (line: string) => void): void {
  let stopping = false;
  const roleOf = new Map<number, WorkerRole>();
  const fork = (role: WorkerRole) => roleOf.set(cluster.fork({ [ROLE_ENV]: role }).id, role);
  // A scrape of GET /metrics reaches one worker; it asks here for every worker's metrics, summed.
  answerClusterScrapes();
  for (const role of roles) fork(role);
  cluster.on('exit', (worker, code, signal) => {
    const role = roleOf.get(worker.id) ?? 'api';
    roleOf.delete(worker.id);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    log(`进程 worker ${worker.process.pid}（${role}）退出 exited (${signal ?? code})，重新启动 starting another`);
    fork(role);
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
