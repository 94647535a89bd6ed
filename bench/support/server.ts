import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ParentMessage, ServerProcessConfig } from './server-process.ts';

const ENTRY = fileURLToPath(new URL('./server-process.ts', import.meta.url));

export interface BenchServer {
  origin: string;
  pid: number;
  /** Rows in cases and idempotency_keys, counted by the server process. */
  counts(): Promise<{ cases: number; keys: number }>;
  stop(): Promise<void>;
}

/** Forks the app server (see server-process.ts for why a separate process) and waits until it listens. */
export async function startServer(config: { databaseUrl: string | undefined; dataDir: string; masterKey: Buffer }): Promise<BenchServer> {
  const processConfig: ServerProcessConfig = {
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    masterKey: config.masterKey.toString('base64'),
  };
  const child = fork(ENTRY, [], {
    // BENCH_SERVER_NODE_FLAGS adds node flags to the server only, e.g. `--cpu-prof --cpu-prof-dir=prof`.
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_SERVER_NODE_FLAGS?.split(' ').filter(Boolean) ?? [])],
    env: { ...process.env, BENCH_SERVER_CONFIG: JSON.stringify(processConfig), LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const onMessage = (message: ChildMessage) => {
      if (message.type === 'ready') {
        child.off('message', onMessage);
        resolve(message.port);
      }
    };
    child.on('message', onMessage);
    void exited.then((code) => reject(new Error(`server process exited with code ${code} before listening`)));
  });

  let nextId = 1;
  const post = (message: ParentMessage) => child.send(message);
  return {
    origin: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    counts() {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const onMessage = (message: ChildMessage) => {
          if (message.type === 'counts' && message.id === id) {
            child.off('message', onMessage);
            resolve({ cases: message.cases, keys: message.keys });
          } else if (message.type === 'error') {
            child.off('message', onMessage);
            reject(new Error(message.message));
          }
        };
        child.on('message', onMessage);
        post({ type: 'counts', id });
      });
    },
    async stop() {
      if (child.exitCode === null) post({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
