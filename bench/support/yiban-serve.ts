/**
 * `yiban serve` processes on one bench database (the platform as it runs in service, each with its
 * outbox worker), for benchmarks that drive it over HTTP from another process: started on free
 * ports, waited for, and stopped (SIGKILL after 10 s for one stuck in a request).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` every 100 ms until it is true; throws after `timeoutMs`. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export interface YibanServers {
  bases: string[];
  children: ChildProcess[];
  stop(): Promise<void>;
}

/**
 * Starts `count` servers (`--no-seed --no-web`) on the database and waits for /healthz. With
 * `background: n`, the servers run `--role api` and n more processes `--role background` (the
 * ledger's sequencer, the events, the prunes; at their lower CPU priority), waited for by the line
 * each prints when it runs; they are in `children`, not in `bases`.
 * With `workers: n`, one `yiban serve --workers n` instead (n API workers sharing its port and one
 * background worker, node:cluster), waited for by the lines the workers print; `count` and
 * `background` are then not used.
 * BENCH_PROFILE_DIR=… writes each server's CPU profile (node --cpu-prof) when it exits.
 */
export async function startYibanServers(options: {
  count: number;
  databaseUrl: string;
  masterKey: Buffer;
  label: string;
  background?: number;
  workers?: number;
}): Promise<YibanServers> {
  const children: ChildProcess[] = [];
  const bases: string[] = [];
  const stop = async () => {
    for (const child of children) {
      const exited = new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const background = options.background ?? 0;
  const running: Promise<void>[] = [];
  if (options.workers) return startCluster({ ...options, workers: options.workers }, children, stop);
  try {
    for (let i = 0; i < options.count + background; i++) {
      const port = await freePort();
      const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
      const dataDir = mkdtempSync(path.join(tmpdir(), `yiban-bench-${options.label}-`));
      const role = background === 0 ? [] : ['--role', i < options.count ? 'api' : 'background'];
      const child = spawn(
        process.execPath,
        [...profile, path.join(ROOT, 'bin/yiban.js'), 'serve', '--no-seed', '--no-web', '--port', String(port), ...role],
        {
          cwd: ROOT,
          env: serveEnv(options, dataDir),
          stdio: ['ignore', i < options.count ? 'ignore' : 'pipe', 'inherit'],
        },
      );
      child.once('exit', () => rmSync(dataDir, { recursive: true, force: true }));
      children.push(child);
      if (i < options.count) bases.push(`http://127.0.0.1:${port}`);
      else {
        let said = '';
        const stdout = child.stdout!;
        running.push(
          new Promise((resolve, reject) => {
            stdout.on('data', (chunk: Buffer) => {
              said += chunk.toString('utf8');
              if (said.includes('background process')) resolve();
            });
            child.once('exit', (code) => reject(new Error(`the background process exited (${code}) before it ran`)));
          }),
        );
        // Read on, so that its output never blocks it.
        stdout.resume();
      }
    }
    for (const base of bases) await until(`server ${base}`, async () => (await fetch(`${base}/healthz`)).ok, 180_000);
    await Promise.all(running);
  } catch (error) {
    await stop();
    throw error;
  }
  return { bases, children, stop };
}

/** `yiban serve --workers n`: its primary in `children`, its one address in `bases`. */
async function startCluster(
  options: { databaseUrl: string; masterKey: Buffer; label: string; workers: number },
  children: ChildProcess[],
  stop: () => Promise<void>,
): Promise<YibanServers> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), `yiban-bench-${options.label}-`));
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'bin/yiban.js'), 'serve', '--no-seed', '--no-web', '--port', String(port), '--workers', String(options.workers)],
    {
      cwd: ROOT,
      env: serveEnv(options, dataDir),
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  child.once('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  children.push(child);
  let said = '';
  child.stdout.on('data', (chunk: Buffer) => (said += chunk.toString('utf8')));
  try {
    await until(
      `yiban serve --workers ${options.workers}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`yiban serve --workers exited (${child.exitCode}): ${said}`);
        return (said.match(/已就绪 ready/g) ?? []).length >= options.workers && said.includes('background process');
      },
      180_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { bases: [`http://127.0.0.1:${port}`], children, stop };
}

/** A bench server's environment: the database, its master key, its own data folder, quiet, no demo. */
function serveEnv(options: { databaseUrl: string; masterKey: Buffer }, dataDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: options.databaseUrl,
    YIBAN_MASTER_KEY: options.masterKey.toString('base64'),
    YIBAN_DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    YIBAN_DEMO: '',
  };
}
