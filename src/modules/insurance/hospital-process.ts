/** Starts a hospital system (`yiban hospital serve`) as a child process, for tests, benchmarks and demos. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const YIBAN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/yiban.js');

export interface RunningHospital {
  url: string;
  port: number;
  keyId: string;
  /** Its public key file (PEM), for `insurance institution add --public-key-file`. */
  publicKeyFile: string;
  /** The local API's bearer token (from its state directory). */
  token: string;
  process: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
}

export interface HospitalSpec {
  platformUrl: string;
  code: string;
  region: string;
  stateDir: string;
  port?: number;
  answerTimeoutMs?: number;
}

/** Spawns the hospital process and waits until its local API listens. */
export async function startHospital(spec: HospitalSpec): Promise<RunningHospital> {
  const args = [
    YIBAN,
    'hospital',
    'serve',
    '--platform',
    spec.platformUrl,
    '--code',
    spec.code,
    '--region',
    spec.region,
    '--state-dir',
    spec.stateDir,
    '--port',
    String(spec.port ?? 0),
    ...(spec.answerTimeoutMs ? ['--answer-timeout-ms', String(spec.answerTimeoutMs)] : []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out = (out + chunk).slice(-200_000)));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out = (out + chunk).slice(-200_000)));
  const port = await new Promise<number>((resolve, reject) => {
    // A bound for a process that never says it listens, not a wait (as a department's: under CI's load a start has taken most of a minute).
    const timer = setTimeout(() => reject(new Error(`the hospital did not start within 150 s: ${out}`)), 150_000);
    const onData = () => {
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the hospital exited with ${code}: ${out}`));
    });
  });
  const keyId = /key (\S+)/.exec(out.slice(out.indexOf('listening on')))?.[1] ?? '';
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const ending = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (exited()) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    keyId,
    publicKeyFile: path.join(spec.stateDir, 'hospital.pub.pem'),
    token: readFileSync(path.join(spec.stateDir, 'api-token'), 'utf8').trim(),
    process: child,
    output: () => out,
    stop: () => ending('SIGTERM'),
    kill: () => ending('SIGKILL'),
  };
}

/** The hospital's journal, read as it is on disk. */
export function readJournal(stateDir: string): { t: 'sent' | 'answered'; msgid: string; infno?: string }[] {
  const text = readFileSync(path.join(stateDir, 'journal.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { t: 'sent' | 'answered'; msgid: string; infno?: string });
}
