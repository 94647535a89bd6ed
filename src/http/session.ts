import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { SESSION_COOKIE } from './auth.ts';

/**
 * How a login answers. Browsers (the default, `cookie`) get the session only as an HttpOnly
 * cookie, so no script on the page can read it; API clients ask for the token with
 * `X-Auth-Mode: bearer` and get it in the body instead (and no cookie).
 */
const AUTH_MODE_HEADER = 'x-auth-mode';

export const LoginHeaders = Type.Object({
  [AUTH_MODE_HEADER]: Type.Optional(
    Type.Union([Type.Literal('cookie'), Type.Literal('bearer')], {
      description: 'cookie（默认，浏览器：会话只在 HttpOnly Cookie 中）或 bearer（接口客户端：令牌在应答体中，不设 Cookie）',
    }),
  ),
});

/** The session cookie's attributes; Secure whenever the request came over HTTPS (directly or per a trusted proxy). */
function sessionCookieOptions(request: FastifyRequest) {
  return { httpOnly: true, sameSite: 'strict', path: '/', secure: request.protocol === 'https' } as const;
}

/**
 * Hands a new session to the client: the token in the body for a client that asked for it,
 * otherwise a cookie and a body without the token. `persistent: false` makes a browser-session
 * cookie (the kiosk: nothing kept once the browser closes).
 */
export function deliverSession<T extends { token: string; expiresAt: string }>(
  request: FastifyRequest,
  reply: FastifyReply,
  session: T,
  options: { persistent: boolean },
): Omit<T, 'token'> & { token?: string } {
  if (request.headers[AUTH_MODE_HEADER] === 'bearer') return session;
  void reply.setCookie(SESSION_COOKIE, session.token, {
    ...sessionCookieOptions(request),
    ...(options.persistent ? { expires: new Date(session.expiresAt) } : {}),
  });
  const { token: _token, ...rest } = session;
  return rest;
}

/** Removes the session cookie (logout). */
export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  void reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(request));
}
