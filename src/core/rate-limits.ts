/**
 * Request limits of the public routes that guess or cost something (logins, one-time codes,
 * registration, verification). Each route class has a limit per client address and, where the
 * request names an account, one per account from one address; requests for an account from all
 * addresses together may be `ACCOUNT_WIDE_FACTOR` times that. So one address cannot get someone
 * else's account refused (its own requests for it stop first), and a guesser needs many addresses
 * to reach the account-wide limit. The windows are fixed and short and never grow.
 */
const RATE_LIMIT_CLASSES = ['login', 'kioskCode', 'kioskLogin', 'register', 'verify', 'federationJoin'] as const;
export type RateLimitClass = (typeof RATE_LIMIT_CLASSES)[number];

export interface Limit {
  max: number;
  windowMs: number;
}

export interface ClassLimits {
  perAddress: Limit;
  /**
   * Requests naming one account from one address; absent for classes whose requests name no
   * account (verification). From all addresses together: `ACCOUNT_WIDE_FACTOR` × max.
   */
  perAccount?: Limit;
}

/** Requests for one account from all addresses together may be this many times `perAccount.max`. */
export const ACCOUNT_WIDE_FACTOR = 5;

export type RateLimits = Record<RateLimitClass, ClassLimits>;

const MINUTE = 60_000;

/**
 * Production defaults. A kiosk hall or a village office may put many people behind one address,
 * so the per-address limits leave room for a busy morning; the per-account ones are what a
 * person needs (a few tries, a few codes) and no more.
 */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  login: { perAddress: { max: 20, windowMs: MINUTE }, perAccount: { max: 10, windowMs: 15 * MINUTE } },
  kioskCode: { perAddress: { max: 10, windowMs: MINUTE }, perAccount: { max: 3, windowMs: 10 * MINUTE } },
  kioskLogin: { perAddress: { max: 20, windowMs: MINUTE }, perAccount: { max: 10, windowMs: 15 * MINUTE } },
  register: { perAddress: { max: 10, windowMs: 10 * MINUTE }, perAccount: { max: 5, windowMs: 60 * MINUTE } },
  verify: { perAddress: { max: 60, windowMs: MINUTE } },
  // A federation hub's join and key change requests: each is a signature check and a row; a member asks a few times a year.
  federationJoin: { perAddress: { max: 30, windowMs: 10 * MINUTE }, perAccount: { max: 10, windowMs: 10 * MINUTE } },
};

/** Environment variable of one limit: `YIBAN_RATE_KIOSK_CODE_PER_ADDRESS` = `10/1m`. */
export function rateLimitEnvName(cls: RateLimitClass, scope: 'perAddress' | 'perAccount'): string {
  const name = cls.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
  return `YIBAN_RATE_${name}_${scope === 'perAddress' ? 'PER_ADDRESS' : 'PER_ACCOUNT'}`;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: MINUTE, h: 60 * MINUTE };

/** `N/window`, the window in s, m or h (`10/1m`, `5/30s`, `100/1h`). */
export function parseLimit(text: string, name: string): Limit {
  const match = /^\s*(\d{1,9})\s*\/\s*(\d{1,6})\s*([smh])\s*$/.exec(text);
  const unit = match?.[3] ? UNIT_MS[match[3]] : undefined;
  if (!match || unit === undefined || Number(match[1]) < 1 || Number(match[2]) < 1) {
    throw new Error(`${name} must look like 10/1m (requests / window in s, m or h), not ${JSON.stringify(text)}`);
  }
  return { max: Number(match[1]), windowMs: Number(match[2]) * unit };
}

/** The defaults with the environment's overrides. */
export function loadRateLimits(env: NodeJS.ProcessEnv): RateLimits {
  const out = structuredClone(DEFAULT_RATE_LIMITS);
  for (const cls of RATE_LIMIT_CLASSES) {
    const limits = out[cls];
    const address = env[rateLimitEnvName(cls, 'perAddress')];
    if (address) limits.perAddress = parseLimit(address, rateLimitEnvName(cls, 'perAddress'));
    const account = env[rateLimitEnvName(cls, 'perAccount')];
    if (account) {
      if (!limits.perAccount) throw new Error(`${rateLimitEnvName(cls, 'perAccount')}: ${cls} requests name no account`);
      limits.perAccount = parseLimit(account, rateLimitEnvName(cls, 'perAccount'));
    }
  }
  return out;
}

/** Every limit multiplied by `factor`: the test harness logs in many times from one address. */
export function raiseRateLimits(limits: RateLimits, factor: number): RateLimits {
  const raise = (l: Limit): Limit => ({ max: l.max * factor, windowMs: l.windowMs });
  const out = {} as RateLimits;
  for (const cls of RATE_LIMIT_CLASSES) {
    const { perAddress, perAccount } = limits[cls];
    out[cls] = { perAddress: raise(perAddress), ...(perAccount ? { perAccount: raise(perAccount) } : {}) };
  }
  return out;
}
