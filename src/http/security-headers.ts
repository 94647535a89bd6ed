import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import type { FastifyInstance } from 'fastify';

/**
 * The Content-Security-Policy of every response, the four web apps included. Scripts only from
 * this origin (Vite emits module files, no inline script). Styles also allow inline: antd's
 * CSS-in-JS inserts <style> elements at run time and both UI libraries set style attributes.
 * Images take data: (QR codes, the seal SVG) and blob:; frames blob: (the kiosk prints a PDF
 * through a hidden frame); the verifier's service worker is same-origin.
 */
const APP_CSP_DIRECTIVES = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'media-src': ["'self'", 'blob:'],
  'worker-src': ["'self'"],
  'manifest-src': ["'self'"],
  'frame-src': ["'self'", 'blob:'],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
} as const;

/** The apps' CSP as a header value, for a response that sets its own variant (the hub's sign-in pages widen form-action). */
export const APP_CSP = Object.entries(APP_CSP_DIRECTIVES)
  .map(([name, values]) => `${name} ${values.join(' ')}`)
  .join('; ');

/** The Swagger UI (/api/docs) runs its own bundle, which sets inline styles; otherwise as strict. */
export const DOCS_CSP = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/** Powerful features nobody here uses, off everywhere; the verifier page turns the camera back on for itself. */
const PERMISSIONS_OFF = [
  'accelerometer',
  'autoplay',
  'bluetooth',
  'camera',
  'display-capture',
  'geolocation',
  'gyroscope',
  'hid',
  'magnetometer',
  'microphone',
  'midi',
  'payment',
  'serial',
  'usb',
];
const PERMISSIONS_POLICY = PERMISSIONS_OFF.map((f) => `${f}=()`).join(', ');
export const VERIFIER_PERMISSIONS_POLICY = PERMISSIONS_OFF.map((f) => (f === 'camera' ? 'camera=(self)' : `${f}=()`)).join(', ');

/**
 * Helmet's headers on every response, with our CSP, DENY framing and a same-origin Referer. They
 * do not depend on the request, so helmet runs once here and each response gets the same values
 * (@fastify/helmet builds helmet's middleware again, CSP parsing included, for every request).
 */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  const headers: Record<string, string> = {};
  const collect = {
    setHeader: (name: string, value: string) => {
      headers[name.toLowerCase()] = value;
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  helmet({
    contentSecurityPolicy: { useDefaults: false, directives: APP_CSP_DIRECTIVES },
    frameguard: { action: 'deny' },
    // Same-origin requests keep their Referer (the cross-site check falls back to it); other sites get none.
    referrerPolicy: { policy: 'same-origin' },
    // Served over plain HTTP on a LAN as well; TLS deployments get HSTS (browsers ignore it over HTTP).
    strictTransportSecurity: { maxAge: 15552000, includeSubDomains: false },
    crossOriginEmbedderPolicy: false,
  })({} as IncomingMessage, collect as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error('helmet refused its configuration');
  });
  headers['permissions-policy'] = PERMISSIONS_POLICY;
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(headers);
  });
}
