import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir } from './data-dir-lock.ts';
import { openDatabase } from './database.ts';

describe('data folder lock', () => {
  it('refuses a second open of the same folder and allows it again after release', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'yiban-lock-'));
    const release = lockDataDir(dir);
    expect(readFileSync(path.join(dir, 'yiban.lock'), 'utf8')).toBe(String(process.pid));
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    release();
    expect(existsSync(path.join(dir, 'yiban.lock'))).toBe(false);
    lockDataDir(dir)();
  });

  it('takes over a lock left by a process that no longer runs', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'yiban-lock-'));
    // pid_max on Linux is at most 4194304, so this pid cannot be running.
    writeFileSync(path.join(dir, 'yiban.lock'), '4194305');
    const release = lockDataDir(dir);
    expect(readFileSync(path.join(dir, 'yiban.lock'), 'utf8')).toBe(String(process.pid));
    release();
  });

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
