import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/http/server.ts';
import { faceFor, resetFallbackFacesForTest } from '../src/modules/certificates/pdf/font.ts';
import { isNameLetter } from '../src/modules/identity/validation.ts';
import { buildTestApp, createTestContext, freshResidentId, PASSWORD, VILLAGE, type TestContext } from './factories.ts';
import { testEngines } from './db.ts';

/**
 * A name with a rare character (生僻字) goes all the way: registration, a case, approval with its
 * signed certificate, and the PDF, whose text pdftotext reads back. And every character a name may
 * hold has a glyph in the certificate fonts, so no accepted name can break the PDF.
 */
describe.each(testEngines())('a resident named 王𪚥 (U+2A6A5, Extension B) on %s', (engine) => {
  let ctx: TestContext;
  let app: App;
  let dir: string;
  beforeAll(async () => {
    ctx = await createTestContext(engine);
    app = await buildTestApp(ctx);
    dir = mkdtempSync(path.join(tmpdir(), 'yiban-rare-'));
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const register = (name: string, residentId = freshResidentId()) =>
    app.inject({
      method: 'POST',
      url: '/api/auth/residents/register',
      payload: { name, residentId, phone: `139${String(Date.now()).slice(-8)}`, password: PASSWORD, homeOrgCode: VILLAGE },
    });
  const login = (residentId: string) =>
    app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-auth-mode': 'bearer' },
      payload: { kind: 'resident', residentIdOrPhone: residentId, password: PASSWORD, channel: 'app' },
    });

  /** Registers `name` over HTTP, applies, has the village reviewer approve; the holder's token and certificate id. */
  const certificateFor = async (name: string) => {
    const residentId = freshResidentId();
    const registered = await register(name, residentId);
    expect(registered.statusCode, registered.body).toBe(201);
    const token = (await login(residentId)).json<{ token: string }>().token;
    const submitted = await app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': `rare-name-${residentId}` },
      payload: {
        serviceCode: 'cert.residence',
        form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
      },
    });
    expect(submitted.statusCode, submitted.body).toBe(201);
    const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
    await ctx.services.applications.act(reviewer, submitted.json<{ id: string }>().id, 'approve');
    const mine = await app.inject({ url: '/api/certificates/mine', headers: { authorization: `Bearer ${token}` } });
    expect(mine.statusCode, mine.body).toBe(200);
    return { token, certId: mine.json<{ items: { id: string }[] }>().items[0]!.id };
  };

  it('registers, applies, is approved and signed, and gets a PDF that pdftotext reads back and pdfsig validates', async () => {
    const { token, certId } = await certificateFor('王𪚥');
    const pdf = await app.inject({ url: `/api/certificates/${certId}/pdf`, headers: { authorization: `Bearer ${token}` } });
    expect(pdf.statusCode, pdf.body.slice(0, 300)).toBe(200);
    const file = path.join(dir, `${engine}.pdf`);
    writeFileSync(file, pdf.rawPayload);
    expect(execFileSync('pdftotext', ['-layout', file, '-']).toString().replace(/\s+/g, '')).toContain('兹证明王𪚥');
    expect(execFileSync('pdfsig', [file]).toString()).toContain('Signature is Valid.');
  });

  it('without the fallback fonts on the server, answers 503 PDF_GLYPHS_UNAVAILABLE naming the character, not a 500', async () => {
    const { token, certId } = await certificateFor('李𪚥');
    const before = process.env.YIBAN_FALLBACK_FONTS;
    process.env.YIBAN_FALLBACK_FONTS = path.join(dir, 'absent.ttf');
    resetFallbackFacesForTest();
    try {
      const pdf = await app.inject({ url: `/api/certificates/${certId}/pdf`, headers: { authorization: `Bearer ${token}` } });
      expect(pdf.statusCode).toBe(503);
      const { error } = pdf.json<{ error: { code: string; message: string } }>();
      expect(error.code).toBe('PDF_GLYPHS_UNAVAILABLE');
      expect(error.message).toContain('𪚥');
    } finally {
      if (before === undefined) delete process.env.YIBAN_FALLBACK_FONTS;
      else process.env.YIBAN_FALLBACK_FONTS = before;
      resetFallbackFacesForTest();
    }
  });

  it('refuses a name with a zero-width or bidi control, emoji or a stray combining mark: 400 in both languages, nothing registered', async () => {
    for (const name of ['王\u200b芳', '王\u202e芳', '王芳😀', '王芳\u0301']) {
      const residentId = freshResidentId();
      const res = await register(name, residentId);
      expect(res.statusCode).toBe(400);
      expect(res.json<{ error: { code: string; message: string } }>().error.code).toBe('VALIDATION_FAILED');
      expect(res.json<{ error: { message: string } }>().error.message).toMatch(/姓名/);
      const en = await app.inject({
        method: 'POST',
        url: '/api/auth/residents/register',
        headers: { 'accept-language': 'en' },
        payload: { name, residentId, phone: '13900000000', password: PASSWORD, homeOrgCode: VILLAGE },
      });
      expect(en.json<{ error: { message: string } }>().error.message).toMatch(/name/);
      expect((await login(residentId)).statusCode).toBe(401);
    }
  });
});

describe('every character a resident name may hold', () => {
  it('has a glyph in the certificate fonts (Noto Serif SC, HanaMinA, HanaMinB)', () => {
    const undrawable: string[] = [];
    let accepted = 0;
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      if (!isNameLetter(cp)) continue;
      accepted++;
      if (!faceFor('regular', cp)) undrawable.push(`U+${cp.toString(16).toUpperCase()}`);
    }
    expect(undrawable).toEqual([]);
    // URO, Extension A and B–F of Unicode 10, twelve compatibility-block ideographs and A–Z a–z.
    expect(accepted).toBe(87882 + 52);
  }, 120_000);
});
