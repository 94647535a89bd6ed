import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/http/server.ts';
import { encodeQr } from '../src/verify/bundle.ts';
import { buildTestApp, createTestContext, VILLAGE, type TestContext } from './factories.ts';

const BIN = new URL('../bin/yiban.js', import.meta.url).pathname;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs `yiban verify` as a user does, without YIBAN_PUBLIC_URL unless given. */
function yibanVerify(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const { YIBAN_PUBLIC_URL: _ignored, ...base } = process.env;
  const started = performance.now();
  return new Promise((resolve) => {
    execFile('node', [BIN, 'verify', ...args], { env: { ...base, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** Section 3: `yiban verify FILE --platform URL` against a running platform. */
describe('yiban verify against a running platform', () => {
  let ctx: TestContext;
  let app: App;
  let platform: string;
  let qrFile: string;
  let cacheDir: string;
  let certId: string;
  let reviewer: Awaited<ReturnType<TestContext['newStaff']>>;

  beforeAll(async () => {
    const port = await freePort();
    platform = `http://127.0.0.1:${port}`;
    ctx = await createTestContext('pglite', { publicUrl: platform });
    app = await buildTestApp(ctx);
    await app.listen({ host: '127.0.0.1', port });
    await ctx.services.keys.ensurePlatformRoot();
    const resident = await ctx.newResident({ name: '张伟' });
    reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    const { case: c } = await ctx.services.applications.submit(resident, {
      serviceCode: 'cert.residence',
      form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
    });
    await ctx.services.applications.act(reviewer, c.id, 'approve');
    const cert = await ctx.services.certificates.getByCase(resident, c.id);
    certId = cert.id;
    const dir = mkdtempSync(path.join(tmpdir(), 'yiban-verify-cli-'));
    qrFile = path.join(dir, 'qr.txt');
    writeFileSync(qrFile, await encodeQr(await ctx.services.certificates.bundle(resident, cert.id, ['holderName', 'address'])));
    cacheDir = path.join(dir, 'cache');
  });
  afterAll(async () => {
    await app?.close();
  });

  it('says what it needs when no platform or trust file is named', async () => {
    const result = await yibanVerify([qrFile]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('--platform');
    expect(result.stderr).toContain('YIBAN_PUBLIC_URL');
    expect(result.stderr).not.toContain('required option');
  });

  it('is VALID for a fresh certificate with --platform (and YIBAN_PUBLIC_URL), and caches the trust list and the signed lists', async () => {
    const first = await yibanVerify([qrFile, '--platform', platform, '--cache-dir', cacheDir]);
    expect(first.stdout).toContain('有效 VALID');
    expect(first.code).toBe(0);
    const kept = readdirSync(path.join(cacheDir, readdirSync(cacheDir)[0]!));
    expect(kept.filter((f) => f.startsWith('status-'))).toHaveLength(2);
    expect(kept).toContain('trust.json');
    const second = await yibanVerify([qrFile, '--cache-dir', cacheDir], { YIBAN_PUBLIC_URL: platform });
    expect(second.code).toBe(0);
    console.info(`yiban verify (QR, cached lists): ${second.ms.toFixed(0)} ms wall`);
  });

  it('says INVALID once revoked (lists fetched again), and INDETERMINATE with the reason when its lists have expired', async () => {
    await ctx.services.certificates.changeStatus(reviewer, certId, 'revoked', '测试撤销');
    const revoked = await yibanVerify([qrFile, '--platform', platform, '--cache-dir', cacheDir, '--refresh']);
    expect(revoked.code).toBe(1);
    expect(revoked.stdout).toContain('证明已被撤销');
    // Offline, seven hours later: the kept lists are past validUntil.
    const later = new Date(Date.now() + 7 * 3_600_000).toISOString();
    const stale = await yibanVerify([qrFile, '--platform', platform, '--cache-dir', cacheDir, '--offline', '--at', later]);
    expect(stale.code).toBe(2);
    expect(stale.stdout).toContain('无法确定 INDETERMINATE');
    expect(stale.stdout).toContain('原因 reason: 状态列表已过有效期');
  });
});
