import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(import.meta.dirname, '../bin/yiban.js');

function yiban(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // A server that wrongly starts is killed by the timeout and fails the exit-code check.
    execFile(
      process.execPath,
      [BIN, ...args],
      // DATABASE_URL is left out: this test is about the PGlite data folder, and must not write a
      // master key into the PostgreSQL database the other tests share.
      { env: { ...process.env, DATABASE_URL: '', ...env, LOG_LEVEL: 'silent' }, timeout: 90_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      },
    );
  });
}

describe('a process with another master key', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'yiban-key-'));
  const env = (key: Buffer) => ({ YIBAN_DATA_DIR: dataDir, YIBAN_MASTER_KEY: key.toString('base64'), PORT: '0' });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('is refused by serve and by every command that opens the database, in Chinese and English, without a stack trace', async () => {
    const first = randomBytes(32);
    expect((await yiban(['db', 'migrate'], env(first))).code).toBe(0);
    const other = randomBytes(32);
    // One process at a time: PGlite's data folder takes one (each start costs seconds on a busy machine).
    for (const args of [['serve', '--no-seed', '--no-web'], ['seed'], ['ledger', 'audit']]) {
      const run = await yiban(args, env(other));
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(4);
      expect(run.stderr).toContain('主密钥与数据库不符');
      expect(run.stderr).toContain('Wrong master key');
      expect(run.stderr).not.toMatch(/^\s+at /m);
    }
  }, 600_000);
});
