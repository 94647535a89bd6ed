import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Federated nodes as `yiban serve` processes (the federation demo, its benchmark and the process
 * tests): each with its own PGlite data folder, master key and port on 127.0.0.1; started,
 * stopped and driven through the CLI. Every wait is bounded and names what it waited for.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls `probe` every `everyMs` until it gives a value (not undefined or false); throws after `timeoutMs` with the last error. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 120_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await probe().catch((error: unknown) => {
      last = error;
      return undefined;
    });
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) {
      const why = last instanceof Error ? ` (last error: ${last.message})` : '';
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface NodeSpec {
  name: string;
  env: NodeJS.ProcessEnv;
  port: number;
  url: string;
  child?: ChildProcess;
  output: string;
}

export function yiban(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/yiban.js'), ...args], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function cli(node: NodeSpec, args: string[]): Promise<string> {
  const result = await yiban(args, node.env);
  if (result.code !== 0) throw new Error(`yiban ${args.join(' ')} (${node.name}) exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/** Every node process this module started and has not seen exit: killed by `stopAll` (and at this process's exit). */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts `yiban serve` for the node and waits (bounded) until it answers /healthz. */
export async function start(node: NodeSpec, timeoutMs = 180_000): Promise<void> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/yiban.js'), 'serve', '--no-seed', '--no-web', '--port', String(node.port)], {
    cwd: ROOT,
    env: node.env,
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  node.output = '';
  child.stdout.on('data', (d: Buffer) => (node.output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (node.output += d.toString()));
  node.child = child;
  try {
    await until(
      `${node.name} to listen on ${node.url}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`${node.name} exited ${child.exitCode}: ${node.output.slice(-2000)}`);
        return (await fetch(`${node.url}/healthz`)).ok || undefined;
      },
      timeoutMs,
    );
  } catch (error) {
    if (child.exitCode !== null) throw new Error(`${node.name} exited ${child.exitCode}: ${node.output.slice(-2000)}`, { cause: error });
    throw new Error(`${error instanceof Error ? error.message : String(error)}; its output: ${node.output.slice(-2000)}`, { cause: error });
  }
}

/** Stops the node's process (SIGTERM, a clean shutdown; SIGKILL if it has not exited after `graceMs`). */
export async function stop(node: NodeSpec, graceMs = 30_000): Promise<void> {
  const child = node.child;
  node.child = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Kills the node's process at once (SIGKILL: no clean shutdown, as in a crash) and waits for it to be gone. */
export async function kill(node: NodeSpec): Promise<void> {
  const child = node.child;
  node.child = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** Stops every node still running (each one's error aside: all are stopped). */
export async function stopAll(nodes: (NodeSpec | undefined)[]): Promise<void> {
  await Promise.allSettled(nodes.map((n) => (n ? stop(n) : Promise.resolve())));
}

export async function nodeSpec(
  name: string,
  role: string,
  memberId: string,
  hubUrl: string | undefined,
  dir: string,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<NodeSpec> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  return {
    name,
    port,
    url,
    output: '',
    env: {
      ...process.env,
      DATABASE_URL: '',
      YIBAN_DATA_DIR: path.join(dir, name),
      YIBAN_MASTER_KEY: randomBytes(32).toString('base64'),
      YIBAN_NODE_ROLE: role,
      YIBAN_MEMBER_ID: memberId,
      YIBAN_NODE_NAME: name,
      ...(hubUrl ? { YIBAN_HUB_URL: hubUrl } : {}),
      YIBAN_PUBLIC_URL: url,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      ...extraEnv,
    },
  };
}
