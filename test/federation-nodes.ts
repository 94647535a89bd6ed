import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Federated nodes as `yiban serve` processes for the process tests: each with its own PGlite data
 * folder, master key and port on 127.0.0.1; started, stopped and driven through the CLI.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

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

export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
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

export async function start(node: NodeSpec): Promise<void> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/yiban.js'), 'serve', '--no-seed', '--no-web', '--port', String(node.port)], {
    cwd: ROOT,
    env: node.env,
  });
  node.output = '';
  child.stdout.on('data', (d: Buffer) => (node.output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (node.output += d.toString()));
  node.child = child;
  await until(`${node.name} to listen (${node.output})`, async () => (await fetch(`${node.url}/healthz`)).ok || undefined, 180_000);
}

export async function stop(node: NodeSpec): Promise<void> {
  const child = node.child;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  node.child = undefined;
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
