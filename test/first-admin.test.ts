import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../src/app.ts';
import { buildApp, openPlatform } from '../src/platform.ts';
import { loadConfig } from '../src/core/config.ts';
import type { App } from '../src/http/server.ts';
import { createTestDatabase } from './db.ts';
import { pgliteDataDirFromTemplate } from './db-template.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const STRONG = 'Shouwei-Guanliyuan-42';

// Each run starts the CLI afresh (tsx, PGlite, migrations): tens of seconds on a busy machine.
/** Runs `yiban …` as the operator would, with `input` on standard input. */
function yiban(args: string[], env: NodeJS.ProcessEnv, input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/yiban.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env, LOG_LEVEL: 'silent' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('yiban admin create and reset-password', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'yiban-admin-'));
    env = { YIBAN_DATA_DIR: dataDir, DATABASE_URL: '' };
    // Migrated from the template (test/db-template.ts) rather than by initdb and every migration.
    await pgliteDataDirFromTemplate(dataDir);
    // The divisions the administrator's role is held at, as a first start would load them.
    const platform = await openPlatform(loadConfig(env));
    await platform.services.orgsAdmin.loadDivisions({ scope: { prefix: '130123' } });
    await platform.close();
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses a weak password with the reason, creates the administrator with a strong one, and resets it', async () => {
    const weak = await yiban(['admin', 'create', '--username', 'root-admin', '--password-stdin'], env, 'abcdefg1\n');
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('WEAK_PASSWORD');
    expect(weak.stderr).toContain('fewer than 10 characters');

    const created = await yiban(['admin', 'create', '--username', 'root-admin', '--password-stdin'], env, `${STRONG}\n`);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('root-admin');
    const reset = await yiban(['admin', 'reset-password', 'root-admin', '--password-stdin'], env, 'Chongzhi-Mima-2026\n');
    expect(reset.code).toBe(0);

    const platform = await openPlatform(loadConfig(env));
    try {
      const login = (password: string) =>
        platform.services.identity.login({ kind: 'staff', username: 'root-admin', password, channel: 'web' });
      await expect(login(STRONG)).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
      const session = await login('Chongzhi-Mima-2026');
      expect(session.account.roles).toEqual([{ role: 'platform_admin', orgCode: '13' }]);
      expect(await platform.services.identity.needsBootstrap()).toBe(false);
    } finally {
      await platform.close();
    }
  }, 300_000);

  it('without --password-stdin and without a terminal, asks for the flag instead of hanging', async () => {
    const result = await yiban(['admin', 'create', '--username', 'other-admin'], env, '');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--password-stdin');
  }, 120_000);
});

describe('GET /api/platform and the bootstrap token over HTTP', () => {
  let app: App;
  let demoApp: App;
  let services: ReturnType<typeof createServices>;
  beforeAll(async () => {
    const database = await createTestDatabase('pglite');
    services = createServices(database, { masterKey: randomBytes(32) });
    await services.orgsAdmin.loadDivisions({ scope: { prefix: '130123' } });
    app = await buildApp({ database, services, close: () => database.close() }, { logLevel: 'silent' });
    demoApp = await buildApp({ database, services, demo: true, close: () => Promise.resolve() }, { logLevel: 'silent' });
  });
  afterAll(async () => {
    await demoApp.close();
    await app.close();
  });

  it('tells the apps the mode and whether the first administrator is missing; the token creates one administrator once', async () => {
    const platform = async (on = app) =>
      (await on.inject({ method: 'GET', url: '/api/platform' })).json<{ demo: boolean; needsBootstrap: boolean }>();
    expect(await platform()).toEqual({ name: { zh: '一办', en: 'Yiban' }, demo: false, needsBootstrap: true, oidcLogin: false });
    expect(await platform(demoApp)).toMatchObject({ demo: true });

    const { token } = (await services.identityAdmin.issueBootstrapToken())!;
    const bootstrap = (body: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: '/api/auth/bootstrap',
        payload: { token, username: 'first-admin', name: '首位管理员', password: STRONG, ...body },
      });
    const wrongToken = await bootstrap({ token: randomBytes(32).toString('base64url') });
    expect(wrongToken.statusCode).toBe(403);
    expect(wrongToken.json()).toMatchObject({ error: { code: 'BOOTSTRAP_TOKEN_INVALID' } });
    const weak = await bootstrap({ password: '        1a' });
    expect(weak.json()).toMatchObject({ error: { code: 'WEAK_PASSWORD', details: { reason: 'guessable' } } });

    const created = await bootstrap({});
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ username: 'first-admin', roles: [{ role: 'platform_admin', orgCode: '13' }] });
    expect((await bootstrap({ username: 'second-admin' })).json()).toMatchObject({ error: { code: 'BOOTSTRAP_TOKEN_INVALID' } });
    expect(await platform()).toMatchObject({ needsBootstrap: false });
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { kind: 'staff', username: 'first-admin', password: STRONG, channel: 'web' },
    });
    expect(login.statusCode).toBe(200);
  });
});
