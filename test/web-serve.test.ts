import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleError } from '../src/http/errors.ts';
import { webRoutes } from '../src/http/web.ts';

// The page server on a made-up build: which file answers which path, with which cache rules.
describe('web pages', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'yiban-web-'));
    for (const [file, text] of Object.entries({
      'index.html': '<p>resident</p>',
      'console/index.html': '<p>console</p>',
      'kiosk/index.html': '<p>kiosk</p>',
      'verify/index.html': '<p>verify</p>',
      'verify/sw.js': 'self.x = 1;',
      'assets/app-abc123.js': 'console.log(1)',
      'favicon.svg': '<svg/>',
    })) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
    writeFileSync(path.join(tmpdir(), 'yiban-web-secret.js'), 'secret');
    app = fastify();
    app.setErrorHandler(handleError);
    app.get('/api/ping', async () => ({ ok: true }));
    await app.register(webRoutes({ distDir: dir }));
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['/', 'resident'],
    ['/cases/123', 'resident'],
    ['/apply/cert.residence', 'resident'],
    ['/console', 'console'],
    ['/console/cases/abc', 'console'],
    ['/kiosk', 'kiosk'],
    ['/verify', 'verify'],
    ['/verify/', 'verify'],
    ['/verify?q=YB1.x', 'verify'],
  ])('%s answers the %s page, revalidated on every load', async (url, name) => {
    const res = await app.inject(url);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.body).toBe(`<p>${name}</p>`);
  });

  it('serves hashed assets as immutable and the service worker with its scope', async () => {
    const asset = await app.inject('/assets/app-abc123.js');
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/^text\/javascript/);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const sw = await app.inject('/verify/sw.js');
    expect(sw.headers['cache-control']).toBe('no-cache');
    expect(sw.headers['service-worker-allowed']).toBe('/verify');
    expect((await app.inject('/favicon.svg')).headers['content-type']).toBe('image/svg+xml');
  });

  it('leaves the API alone and answers 404 for missing files and escapes', async () => {
    expect((await app.inject('/api/ping')).json()).toEqual({ ok: true });
    for (const url of [
      '/api/nothing-here',
      '/ledger/nothing',
      '/healthz',
      '/assets/missing.js',
      '/../yiban-web-secret.js',
      '/%2e%2e/yiban-web-secret.js',
      '/assets/%2e%2e/%2e%2e/yiban-web-secret.js',
    ]) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.json<{ error: { code: string } }>().error.code, url).toBe('ROUTE_NOT_FOUND');
    }
  });
});
