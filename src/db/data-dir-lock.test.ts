import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir } from './data-dir-lock.ts';
import { openDatabase } from './database.ts';

const ownerOf = (dir: string) => readFileSync(path.join(dir, 'yiban.lock'), 'utf8').split(' ')[0];
// pid_max on Linux is at most 4194304, so this pid cannot be running.
const DEAD = '4194305';

describe('data folder lock', () => {
  it('refuses a second open of the same folder and allows it again after release', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'yiban-lock-'));
    const release = lockDataDir(dir);
    expect(ownerOf(dir)).toBe(String(process.pid));
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    release();
    expect(existsSync(path.join(dir, 'yiban.lock'))).toBe(false);
    lockDataDir(dir)();
  });

  it('opens and releases folders again and again with one exit listener (no MaxListenersExceededWarning)', () => {
    const dirs = Array.from({ length: 15 }, () => mkdtempSync(path.join(tmpdir(), 'yiban-lock-')));
    lockDataDir(dirs[0]!)();
    const before = process.listenerCount('exit');
    for (let round = 0; round < 2; round++) {
      const releases = dirs.map((d) => lockDataDir(d));
      expect(process.listenerCount('exit')).toBe(before);
      for (const release of releases) release();
    }
    for (const d of dirs) expect(existsSync(path.join(d, 'yiban.lock'))).toBe(false);
  });

  it('takes over a lock left by a process that no longer runs', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'yiban-lock-'));
    writeFileSync(path.join(dir, 'yiban.lock'), DEAD);
    const release = lockDataDir(dir);
    expect(ownerOf(dir)).toBe(String(process.pid));
    release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('takes over an empty lock (an owner that died before writing its pid)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'yiban-lock-'));
    writeFileSync(path.join(dir, 'yiban.lock'), '');
    lockDataDir(dir)();
  });

  it('two processes taking over the same stale lock at once: exactly one wins', () => {
    // A reads the stale lock; before it takes it over, B does the whole takeover. The old code
    // then had A remove B's fresh lock and write its own: both ran on the folder.
    const dir = mkdtempSync(path.join(tmpdir(), 'yiban-lock-'));
    writeFileSync(path.join(dir, 'yiban.lock'), DEAD);
    const running = new Set([1001, 1002]);
    const isAlive = (pid: number) => running.has(pid);
    let b: (() => void) | Error | undefined;
    let a: (() => void) | Error;
    try {
      a = lockDataDir(dir, {
        pid: 1001,
        isAlive,
        beforeTakeover: () => {
          if (b !== undefined) return;
          try {
            b = lockDataDir(dir, { pid: 1002, isAlive });
          } catch (error) {
            b = error as Error;
          }
        },
      });
    } catch (error) {
      a = error as Error;
    }
    expect(typeof b).toBe('function');
    expect(a).toBeInstanceOf(DataDirLockedError);
    expect((a as Error).message).toContain('pid 1002');
    expect(ownerOf(dir)).toBe('1002');
    // The winner still holds it, and nothing but the lock is left behind.
    expect(() => lockDataDir(dir, { pid: 1003, isAlive })).toThrow(/pid 1002/);
    expect(readdirSync(dir)).toEqual(['yiban.lock']);
  });

  it('a takeover interrupted by a kill (its right to remove the stale lock left behind) is finished by the next process', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'yiban-lock-'));
    writeFileSync(path.join(dir, 'yiban.lock'), DEAD);
    // The process that held the right to remove that stale lock was killed too (pid 4194306).
    const right = path.join(dir, `yiban.lock.break-${createHash('sha256').update(DEAD).digest('hex').slice(0, 16)}`);
    writeFileSync(right, '4194306 0123456789abcdef\n');
    const release = lockDataDir(dir);
    expect(ownerOf(dir)).toBe(String(process.pid));
    expect(readdirSync(dir)).toEqual(['yiban.lock']);
    release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('many real processes started together on a stale lock: exactly one wins', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'yiban-lock-'));
    writeFileSync(path.join(dir, 'yiban.lock'), DEAD);
    const module = new URL('./data-dir-lock.ts', import.meta.url).pathname;
    // Each child waits for "go", tries the lock, reports, and holds what it got until stdin closes.
    const code = `
      const { lockDataDir } = await import(${JSON.stringify(module)});
      process.stdout.write('ready\\n');
      process.stdin.once('data', () => {
        try { lockDataDir(${JSON.stringify(dir)}); process.stdout.write('won\\n'); }
        catch (error) { process.stdout.write((error.name === 'DataDirLockedError' ? 'locked' : 'error ' + error.message) + '\\n'); }
      });
      process.stdin.on('end', () => process.exit(0));`;
    const children = Array.from({ length: 4 }, () =>
      spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'inherit'] }),
    );
    try {
      const lines = children.map((child) => createInterface({ input: child.stdout })[Symbol.asyncIterator]());
      const next = async (i: number) => (await lines[i]!.next()).value as string;
      expect(await Promise.all(children.map((_, i) => next(i)))).toEqual(['ready', 'ready', 'ready', 'ready']);
      for (const child of children) child.stdin.write('go\n');
      const results = await Promise.all(children.map((_, i) => next(i)));
      expect(results.filter((r) => r === 'won')).toHaveLength(1);
      expect(results.filter((r) => r === 'locked')).toHaveLength(3);
    } finally {
      for (const child of children) child.stdin.end();
      await Promise.all(
        children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))),
      );
    }
    expect(readdirSync(dir)).toEqual([]);
  }, 60_000);

  it('keeps a second PGlite from opening a folder in use, with a message in both languages', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'yiban-lock-'));
    const first = await openDatabase({ engine: 'pglite', dataDir: dir });
    try {
      const second = openDatabase({ engine: 'pglite', dataDir: dir });
      await expect(second).rejects.toThrow(/正被另一个 Yiban 进程.*\n.*in use by another Yiban process/s);
    } finally {
      await first.close();
    }
    const again = await openDatabase({ engine: 'pglite', dataDir: dir });
    await again.close();
  });
});
