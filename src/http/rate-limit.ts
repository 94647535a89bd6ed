import { createHash } from 'node:crypto';
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import { AppError, type ErrorCode } from '../core/errors.ts';
import { ACCOUNT_WIDE_FACTOR, DEFAULT_RATE_LIMITS, type Limit, type RateLimitClass, type RateLimits } from '../core/rate-limits.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The request limits this route falls under (core/rate-limits.ts). */
    rateLimitClass?: RateLimitClass;
  }
}

/**
 * The account a request names, normalised, for the per-account limit; null when it names none.
 * The key is a hash, so that the limiter's memory holds no ID number or username.
 */
const ACCOUNT_OF: Record<RateLimitClass, ((body: Record<string, unknown>) => string | null) | null> = {
  login: (body) => text(body.username, 'staff:') ?? text(body.residentIdOrPhone, 'resident:'),
  kioskCode: (body) => text(body.residentId, 'resident:'),
  kioskLogin: (body) => text(body.residentId, 'resident:'),
  register: (body) => text(body.residentId, 'resident:'),
  verify: null,
  // The body is the signed JSON text (the federation routes read it as a string): the member id it names.
  federationJoin: (body) => text(body.memberId, 'member:'),
};

/** Classes whose refusal has a code of its own (the default is RATE_LIMITED). */
const CODE_OF: Partial<Record<RateLimitClass, ErrorCode>> = { federationJoin: 'FEDERATION_JOIN_RATE_LIMITED' };

function text(value: unknown, prefix: string): string | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  return createHash('sha256')
    .update(prefix + value.trim().toUpperCase().slice(0, 64))
    .digest('base64url')
    .slice(0, 22);
}

/**
 * Registers @fastify/rate-limit and applies each route's class (`config.rateLimitClass`): the
 * limit per client address, then per account the body names from this address, then per account
 * from all addresses (a request refused by an earlier limit does not count toward a later one).
 * Over any, the answer is 429 RATE_LIMITED with `Retry-After` (seconds). Counters live in this
 * process's memory. Must run before the routes are registered.
 */
export async function registerRateLimits(app: FastifyInstance, limits: RateLimits = DEFAULT_RATE_LIMITS): Promise<void> {
  await app.register(rateLimit, { global: false });
  const limiter = (limit: Limit, keyGenerator: (request: FastifyRequest) => string) =>
    app.createRateLimit({ max: limit.max, timeWindow: limit.windowMs, keyGenerator, cache: 100_000 } as Parameters<
      FastifyInstance['createRateLimit']
    >[0]);

  const guards = new Map<RateLimitClass, preValidationAsyncHookHandler>();
  for (const cls of Object.keys(limits) as RateLimitClass[]) {
    const { perAddress, perAccount } = limits[cls];
    const byAddress = limiter(perAddress, (request) => `a:${clientAddress(request)}`);
    const accountOf = ACCOUNT_OF[cls];
    // Read once per request (a federation body is JSON text, parsed here).
    const seen = new WeakMap<FastifyRequest, string>();
    const account = (request: FastifyRequest) => {
      let key = seen.get(request);
      if (key === undefined) seen.set(request, (key = accountOf?.(asRecord(request.body)) ?? ''));
      return key;
    };
    const byAccountHere = perAccount ? limiter(perAccount, (request) => `u:${account(request)}:${clientAddress(request)}`) : null;
    const byAccount = perAccount
      ? limiter({ max: perAccount.max * ACCOUNT_WIDE_FACTOR, windowMs: perAccount.windowMs }, (request) => `u:${account(request)}`)
      : null;
    guards.set(cls, async (request: FastifyRequest, reply: FastifyReply) => {
      for (const check of [byAddress, byAccountHere, byAccount]) {
        if (!check) continue;
        if (check !== byAddress && account(request) === '') return;
        const result = await check(request);
        if (!result.isAllowed && result.isExceeded) refuse(reply, result.ttlInSeconds, CODE_OF[cls]);
      }
    });
  }

  app.addHook('onRoute', (route) => {
    const cls = route.config?.rateLimitClass;
    if (!cls) return;
    const guard = guards.get(cls);
    if (!guard) throw new Error(`no rate limits configured for class ${cls}`);
    const existing = route.preValidation;
    route.preValidation = [guard, ...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing])];
  });
}

/**
 * The client's address as limits and lockouts count it: IPv4 as is, IPv6 by its /64 (one host
 * usually holds a whole /64, so counting single IPv6 addresses would count nothing).
 */
export function clientAddress(request: FastifyRequest): string {
  return normalizeIP(request.ip, 64);
}

function asRecord(body: unknown): Record<string, unknown> {
  if (typeof body === 'string' && body.length <= 1024 * 1024) {
    try {
      return asRecord(JSON.parse(body));
    } catch {
      return {};
    }
  }
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

function refuse(reply: FastifyReply, seconds: number, code: ErrorCode = 'RATE_LIMITED'): never {
  const wait = Math.max(1, seconds);
  void reply.header('retry-after', String(wait));
  throw new AppError(code, { seconds: wait });
}
