import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * OpenSSL 3 from the machine, the independent implementation our signatures are checked against.
 * The preflight (scripts/system-tools.mjs) installs it, so tests use it unconditionally.
 */
export const hasOpenssl = ((): boolean => {
  const result = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  return result.status === 0 && /^OpenSSL 3\./.test(result.stdout);
})();

export interface OpensslDir {
  dir: string;
  file(name: string): string;
  write(name: string, content: Uint8Array | string): string;
  read(name: string): Buffer;
  /** Runs openssl in the directory; throws with stderr when it exits non-zero. */
  run(args: string[]): string;
  /** Runs openssl; returns the exit status and output instead of throwing. */
  tryRun(args: string[]): { status: number; output: string };
  remove(): void;
}

export function opensslDir(): OpensslDir {
  if (!hasOpenssl) throw new Error('OpenSSL 3 is needed (`openssl version`): run  node scripts/system-tools.mjs');
  const dir = mkdtempSync(path.join(tmpdir(), 'yiban-openssl-'));
  const file = (name: string) => path.join(dir, name);
  return {
    dir,
    file,
    write(name, content) {
      writeFileSync(file(name), content);
      return file(name);
    },
    read: (name) => readFileSync(file(name)),
    run: (args) => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    tryRun(args) {
      const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
      return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
