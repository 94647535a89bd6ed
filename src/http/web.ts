import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { AppError } from '../core/errors.ts';
import { VERIFIER_PERMISSIONS_POLICY } from './security-headers.ts';

/** Where `vite build` (web/vite.config.ts) writes the four pages. */
export const WEB_DIST_DIR = fileURLToPath(new URL('../../dist/web', import.meta.url));

/** Each app and the base path it owns; the resident app takes whatever is left. */
const APPS = [
  { base: '/console', html: 'console/index.html' },
  { base: '/kiosk', html: 'kiosk/index.html' },
  { base: '/verify', html: 'verify/index.html' },
] as const;
const RESIDENT_HTML = 'index.html';

/** Paths that belong to the API and never fall back to a page. */
const NOT_PAGES = /^\/(api|ledger)(\/|$)|^\/healthz$/;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.ico': 'image/x-icon',
};

/**
 * Serves the built web apps from the same process as the API: hashed assets with a year-long
 * immutable cache, pages and the service worker revalidated on every load, and a SPA fallback per
 * app (`/console/cases/…` answers the console's page). API paths are untouched: an unknown
 * `/api/…` path still answers ROUTE_NOT_FOUND as JSON.
 */
export function webRoutes(options: { distDir?: string } = {}): FastifyPluginAsync {
  const dist = path.resolve(options.distDir ?? WEB_DIST_DIR);
  const pages = new Map<string, Buffer>();
  const page = (file: string): Buffer | null => {
    const cached = pages.get(file);
    if (cached) return cached;
    const full = path.join(dist, file);
    if (!existsSync(full)) return null;
    const bytes = readFileSync(full);
    pages.set(file, bytes);
    return bytes;
  };

  // Security headers (CSP, framing, nosniff, Referrer-Policy, Permissions-Policy) come from
  // security-headers.ts for every response; only the verifier's page may use the camera.
  const sendPage = (reply: FastifyReply, file: string) => {
    const bytes = page(file);
    if (!bytes) throw new AppError('ROUTE_NOT_FOUND');
    if (file === 'verify/index.html') reply.header('permissions-policy', VERIFIER_PERMISSIONS_POLICY);
    return reply.header('content-type', TYPES['.html']).header('cache-control', 'no-cache').send(bytes);
  };

  /** A file under dist/, or null; never one outside it. */
  const fileFor = (urlPath: string): string | null => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return null;
    }
    if (decoded.includes('\0')) return null;
    const full = path.join(dist, path.normalize(decoded));
    if (!full.startsWith(dist + path.sep)) return null;
    if (!existsSync(full) || !statSync(full).isFile()) return null;
    return full;
  };

  return async (app) => {
    app.get('/*', { schema: { hide: true } }, async (request, reply) => {
      const urlPath = request.url.split('?')[0] ?? '/';
      if (NOT_PAGES.test(urlPath)) throw new AppError('ROUTE_NOT_FOUND');
      // A file when its type is one the build emits; /apply/cert.residence is a page.
      const ext = path.extname(urlPath);
      if (ext !== '.html' && TYPES[ext]) {
        const file = fileFor(urlPath);
        if (!file) throw new AppError('ROUTE_NOT_FOUND');
        const hashed = urlPath.startsWith('/assets/');
        reply
          .header('content-type', TYPES[ext] ?? 'application/octet-stream')
          .header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
        // The verifier's worker controls /verify (the page as linked, no trailing slash) and what lies below it.
        if (urlPath === '/verify/sw.js') reply.header('service-worker-allowed', '/verify');
        return reply.send(readFileSync(file));
      }
      const app = APPS.find((a) => urlPath === a.base || urlPath.startsWith(`${a.base}/`));
      return sendPage(reply, app ? app.html : RESIDENT_HTML);
    });
  };
}
