import type { FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.ts';
import { SESSION_COOKIE } from './auth.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function originOf(url: string): string | null {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

/**
 * Cross-site request protection for cookie sessions. A state-changing request (anything but
 * GET/HEAD/OPTIONS) that a browser sends must come from this site: `Sec-Fetch-Site: same-origin`,
 * or an Origin — absent that, for a cookie request, a Referer — equal to the public URL's origin or
 * the request's own (scheme and host as Fastify sees them, X-Forwarded-* only from trusted proxies).
 * A request carrying a bearer token is not checked: a page on another site cannot attach one, and
 * API clients (CLI, servers) send neither a cookie nor an Origin, so they pass untouched.
 */
export function createOriginGuard(options: { publicUrl: string }) {
  const publicOrigin = originOf(options.publicUrl);
  return async (request: FastifyRequest): Promise<void> => {
    if (SAFE_METHODS.has(request.method)) return;
    if (request.headers.authorization?.startsWith('Bearer ')) return;
    // A system's RFC 9421-signed call (a hospital's): no cookie is sent, and a browser cannot add
    // Signature-Input cross-site without a CORS preflight this server never grants.
    if (request.headers['signature-input'] !== undefined && request.headers.cookie === undefined) return;
    if (request.headers['sec-fetch-site'] === 'same-origin') return;
    // Through URL, so that case and an explicit default port (Host: example.org:443) compare equal.
    const own = originOf(`${request.protocol}://${request.host}`);
    const allowed = (origin: string | null) => origin !== null && (origin === publicOrigin || origin === own);
    const origin = request.headers.origin;
    if (origin !== undefined) {
      if (!allowed(originOf(origin))) throw new AppError('CROSS_SITE_REQUEST');
      return;
    }
    if (!request.cookies[SESSION_COOKIE]) return;
    const referer = request.headers.referer;
    if (referer === undefined || !allowed(originOf(referer))) throw new AppError('CROSS_SITE_REQUEST');
  };
}
