import type { FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.ts';
import type { Principal } from '../modules/identity/index.ts';

/** Resolves a session token (and an optional resident a helper acts for) to a principal. */
export interface Authenticator {
  authenticate(token: string, onBehalfOf: string | undefined): Promise<Principal | null>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** The session belongs to another account than the one the page expects (X-Yiban-Account). */
    sessionMismatch: boolean;
  }
}

export const SESSION_COOKIE = 'yiban_session';

/**
 * A browser holds one session cookie for all four apps, so a tab may still show the account that
 * was signed in before another tab signed in someone else. The web apps name the account they
 * show in this header; a session of any other account is then treated as no session (401), and
 * the tab returns to its login page instead of acting as the other account.
 */
export const EXPECTED_ACCOUNT_HEADER = 'x-yiban-account';

export function readToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim() || undefined;
  return request.cookies[SESSION_COOKIE] || undefined;
}

/** The caller, or 401 when nobody is logged in. */
export function requirePrincipal(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('UNAUTHENTICATED');
  return request.principal;
}
