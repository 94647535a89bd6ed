import type { FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.ts';
import type { Principal } from '../modules/identity/principal.ts';

/** Resolves a session token (and an optional resident a helper acts for) to a principal. */
export interface Authenticator {
  authenticate(token: string, onBehalfOf: string | undefined): Promise<Principal | null>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export const SESSION_COOKIE = 'yiban_session';

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
