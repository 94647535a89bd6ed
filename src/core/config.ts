import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadRateLimits, type RateLimits } from './rate-limits.ts';

export interface Config {
  /** PostgreSQL server URL; when absent the embedded PGlite in `dataDir` is used. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** The listen address (`HOST`, `--host`): 127.0.0.1 unless set, so a fresh install is not on the network. */
  host: string;
  port: number;
  /**
   * Demo mode (`YIBAN_DEMO=1`, `yiban serve --demo`, `npm start`): demo accounts with the published
   * password and made-up residents and cases are loaded, and every web app shows a banner.
   */
  demo: boolean;
  /** 32-byte master key: resident ID encryption and lookup hashes are derived from it. */
  masterKey: Buffer;
  logLevel: string;
  /** The base URL the public reaches this deployment at (links inside certificates). */
  publicUrl: string;
  /** The transparency log's origin line (C2SP checkpoint). */
  ledgerOrigin: string | undefined;
  /** This node's witness key name (`YIBAN_WITNESS_NAME`), for the logs it witnesses. */
  witnessName: string | undefined;
  /** Peer witnesses whose cosigned checkpoints `yiban serve` compares with its own (`YIBAN_WITNESS_PEERS`, comma-separated URLs). */
  witnessPeers: string[];
  /** How often a federated node syncs its witnesses from the directory, reports what it cosigned and gossips (`YIBAN_FEDERATION_WITNESS_MS`, default 5000). */
  federationWitnessMs: number;
  /**
   * How long a message to another node is retried while the peer is down (`YIBAN_FEDERATION_RETRY_DAYS`,
   * default 7) and the longest wait between two attempts (`YIBAN_FEDERATION_RETRY_MAX_S`, default 300).
   */
  federationRetry: { retryForMs: number; backoffMaxMs: number };
  /** Connections to PostgreSQL per process (`YIBAN_DB_POOL`, default 20; with DATABASE_URL only). */
  dbPoolSize: number;
  /** How long a handled event stays in the outbox before it is pruned (`YIBAN_OUTBOX_RETENTION_DAYS`, default 14). */
  outboxRetentionMs: number;
  /**
   * How long the body of a done message (applied, delivered) to or from another node is kept before
   * it is pruned (`YIBAN_FEDERATION_MESSAGE_RETENTION_DAYS`, default 30, at least 8: a received hand-over's case is opened from its body, and
   * that step is retried for days).
   */
  federationMessageRetentionMs: number;
  /**
   * The platform's Ed25519 key for signing requests to external departments (PKCS#8 PEM file,
   * `YIBAN_SHARING_KEY_FILE`); without it the key is derived from the master key.
   */
  sharingKeyFile: string | undefined;
  /**
   * The platform's SM2 key for signing requests to departments registered with an SM2 key (PEM:
   * PKCS#8, or SEC1 "EC PRIVATE KEY", `YIBAN_SHARING_SM2_KEY_FILE`); without it the key is derived
   * from the master key.
   */
  sharingSm2KeyFile: string | undefined;
  /**
   * Which proxies to believe about the client's address and protocol (`YIBAN_TRUST_PROXY`), with
   * Fastify's `trustProxy` semantics: `true` (any peer) or the proxies' addresses/CIDRs separated by
   * commas (`127.0.0.1,10.0.0.0/8`, also `loopback`, `linklocal`, `uniquelocal`).
   * Off by default: X-Forwarded-* headers are ignored, so a session cookie is Secure only when the
   * server itself speaks TLS.
   */
  trustProxy: TrustProxy;
  /** Where kiosk one-time codes go (see `loadCodeSenderConfig`). */
  codeSender: CodeSenderConfig;
  /** Where inbox notices go by text message (see `loadNoticeSenderConfig`). */
  noticeSender: NoticeSenderConfig;
  /** Limits of the public routes that guess or cost something, per address and per account. */
  rateLimits: RateLimits;
  /** Where payment instructions go (see `loadPaymentRailConfig`). */
  paymentRail: PaymentRailConfig;
  /** Public rating figures: `YIBAN_FIGURES_K` (counts below it suppressed, default 5) and `YIBAN_FIGURES_DELAY_DAYS` (default 3). */
  publicFigures: { k: number; delayDays: number };
  /**
   * `METRICS_TOKEN`: the bearer token Prometheus sends to GET /metrics (at least 16 characters).
   * Without it /metrics answers callers on this machine only (loopback, not through a proxy).
   */
  metricsToken: string | undefined;
  /** `YIBAN_NODE_ROLE`: a standalone deployment (default), a province node, or the national hub. */
  nodeRole: NodeRole;
  /** One identity across nodes (OpenID Connect): the hub's provider, a province's login through it, or none. */
  oidc: OidcConfig;
  /** This node's place in a federation of Yiban nodes (跨省通办; see `loadFederationConfig`). */
  federation: FederationConfig;
}

const NODE_ROLES = ['standalone', 'province', 'hub'] as const;
type NodeRole = (typeof NODE_ROLES)[number];

/**
 * `provider`: the hub is an OpenID Connect provider for its real-name residents, mounted at
 * `<issuer>` (whose path is `/oidc`). `client`: a province node's residents may log in through the
 * hub; the client secret is read here only, never returned by an API nor logged.
 */
export type OidcConfig =
  { kind: 'none' } | { kind: 'provider'; issuer: string } | { kind: 'client'; issuerUrl: string; clientId: string; clientSecret: string };

/**
 * `YIBAN_NODE_ROLE`: `standalone` (default: no federation at all), `province` (a province's
 * deployment, a member of the hub's directory) or `hub` (the national platform: the directory and
 * the national root). `YIBAN_MEMBER_ID`: the node's member identifier, X-Road style
 * `CN/GOV/<6-digit division code>/<subsystem>`. `YIBAN_HUB_URL`: the hub's base URL (a province).
 */
export type FederationConfig =
  | { role: 'standalone' }
  | { role: 'hub'; memberId: string; name: string }
  | { role: 'province'; memberId: string; name: string; hubUrl: string };

/** `CN/GOV/<six digits>/<subsystem>`: the instance, the member class, the member code (a division code) and the subsystem. */
export const MEMBER_ID = /^CN\/GOV\/(\d{6})\/([a-z][a-z0-9-]{0,31})$/;

/**
 * The paying bank: `internal` — a department inside the platform (the embedded demo: it accepts
 * every instruction); `external` — the bank's own system over signed HTTP (RFC 9421), its answers
 * signed with the Ed25519 key pinned here (sharing/payment-rail.ts).
 */
export type PaymentRailConfig =
  | { kind: 'internal' }
  | {
      kind: 'external';
      /** `YIBAN_BANK_URL`: the bank system's base URL; instructions go to `<url>/v1/payments`. */
      baseUrl: string;
      /** `YIBAN_BANK_PUBLIC_KEY`: the bank's Ed25519 public key (SPKI PEM, the file's content). */
      publicKey: string;
      /** `YIBAN_BANK_KEY_ID`: the bank key's id (default: derived from the key, `bank-…`). */
      keyId?: string;
      /** `YIBAN_BANK_NAME`, for messages (default 代发银行). */
      name?: string;
      /** `YIBAN_BANK_TIMEOUT_MS` per attempt (default 3000) and `YIBAN_BANK_ATTEMPTS` (default 4). */
      timeoutMs?: number;
      attempts?: number;
    };

/** An HTTP SMS gateway: a signed JSON POST per message (modules/identity/sms-gateway.ts). */
export interface SmsGatewayConfig {
  /** `YIBAN_SMS_URL`: https, or http to a loopback address only (the request carries credentials). */
  url: string;
  /** `YIBAN_SMS_KEY_ID` and `YIBAN_SMS_SECRET`: the access key the gateway gave the platform. */
  keyId: string;
  secret: string;
  /** `YIBAN_SMS_TEMPLATE`: the template registered with the gateway; it gets `code` and `minutes`. */
  template: string;
  /** `YIBAN_SMS_SIGN_NAME`: the registered signature (短信签名), e.g. 一办. */
  signName: string;
  /** `YIBAN_SMS_TIMEOUT_MS` per attempt (default 5000) and `YIBAN_SMS_ATTEMPTS` (default 3). */
  timeoutMs: number;
  attempts: number;
}

export type CodeSenderConfig = { kind: 'sms'; gateway: SmsGatewayConfig } | { kind: 'demo' } | { kind: 'none' };

/** The same choice for inbox notices; the gateway's `template` is then `YIBAN_SMS_NOTICE_TEMPLATE` (it gets `title`). */
export type NoticeSenderConfig = CodeSenderConfig;

export type TrustProxy = boolean | string;

/**
 * Reads configuration from the environment. The master key comes from `YIBAN_MASTER_KEY`
 * (base64, 32 bytes); without it a key is generated once into the data folder so that a fresh
 * checkout runs, and the same key is used on every later start.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = path.resolve(env.YIBAN_DATA_DIR ?? 'data');
  const port = Number(env.PORT ?? 3000);
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir,
    host: env.HOST || '127.0.0.1',
    port,
    demo: env.YIBAN_DEMO === '1',
    publicUrl: (env.YIBAN_PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    ledgerOrigin: env.YIBAN_LEDGER_ORIGIN || undefined,
    witnessName: env.YIBAN_WITNESS_NAME || undefined,
    witnessPeers: (env.YIBAN_WITNESS_PEERS ?? '')
      .split(',')
      .map((u) => u.trim())
      .filter((u) => u.length > 0),
    federationWitnessMs: wholeEnv(env, 'YIBAN_FEDERATION_WITNESS_MS', 5000, 100, 3_600_000),
    federationRetry: {
      retryForMs: wholeEnv(env, 'YIBAN_FEDERATION_RETRY_DAYS', 7, 1, 365) * 86_400_000,
      backoffMaxMs: wholeEnv(env, 'YIBAN_FEDERATION_RETRY_MAX_S', 300, 1, 86_400) * 1000,
    },
    dbPoolSize: wholeEnv(env, 'YIBAN_DB_POOL', 20, 1, 1000),
    outboxRetentionMs: wholeEnv(env, 'YIBAN_OUTBOX_RETENTION_DAYS', 14, 1, 3650) * 86_400_000,
    federationMessageRetentionMs: wholeEnv(env, 'YIBAN_FEDERATION_MESSAGE_RETENTION_DAYS', 30, 8, 3650) * 86_400_000,
    sharingKeyFile: env.YIBAN_SHARING_KEY_FILE || undefined,
    sharingSm2KeyFile: env.YIBAN_SHARING_SM2_KEY_FILE || undefined,
    masterKey: env.YIBAN_MASTER_KEY ? decodeKey(env.YIBAN_MASTER_KEY) : loadOrCreateKeyFile(dataDir),
    logLevel: env.LOG_LEVEL ?? 'info',
    trustProxy: parseTrustProxy(env.YIBAN_TRUST_PROXY),
    codeSender: loadCodeSenderConfig(env),
    noticeSender: loadNoticeSenderConfig(env),
    rateLimits: loadRateLimits(env),
    paymentRail: loadPaymentRailConfig(env),
    publicFigures: {
      k: wholeEnv(env, 'YIBAN_FIGURES_K', 5, 1, 1000),
      delayDays: wholeEnv(env, 'YIBAN_FIGURES_DELAY_DAYS', 3, 0, 365),
    },
    metricsToken: loadMetricsToken(env),
    nodeRole: loadNodeRole(env),
    oidc: loadOidcConfig(env, port),
    federation: loadFederationConfig(env),
  };
}

/** `YIBAN_NODE_ROLE` = standalone (default) | province | hub. */
export function loadNodeRole(env: NodeJS.ProcessEnv): NodeRole {
  const role = env.YIBAN_NODE_ROLE?.trim() || 'standalone';
  if (!(NODE_ROLES as readonly string[]).includes(role))
    throw new Error(`YIBAN_NODE_ROLE must be standalone, province or hub, not ${JSON.stringify(role)}`);
  return role as NodeRole;
}

/**
 * The hub: `YIBAN_OIDC_ISSUER`, its issuer URL (default `<YIBAN_PUBLIC_URL>/oidc`; the provider is
 * mounted at /oidc, so that is the URL's path). A province: `YIBAN_OIDC_ISSUER_URL` (the hub's
 * issuer), `YIBAN_OIDC_CLIENT_ID` and `YIBAN_OIDC_CLIENT_SECRET` (from `yiban oidc client add` on
 * the hub); without the issuer URL a province node has local login only. Either URL is https, or
 * http to a loopback address only.
 */
export function loadOidcConfig(env: NodeJS.ProcessEnv, port = Number(env.PORT ?? 3000)): OidcConfig {
  const role = loadNodeRole(env);
  const clientVars = ['YIBAN_OIDC_ISSUER_URL', 'YIBAN_OIDC_CLIENT_ID', 'YIBAN_OIDC_CLIENT_SECRET'];
  if (role === 'hub') {
    const publicUrl = (env.YIBAN_PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, '');
    const issuer = oidcUrl('YIBAN_OIDC_ISSUER', env.YIBAN_OIDC_ISSUER || `${publicUrl}/oidc`);
    if (new URL(issuer).pathname !== '/oidc')
      throw new Error('YIBAN_OIDC_ISSUER: the provider is mounted at /oidc, so the issuer is <base URL>/oidc');
    return { kind: 'provider', issuer };
  }
  if (env.YIBAN_OIDC_ISSUER) throw new Error('YIBAN_OIDC_ISSUER is for the hub (YIBAN_NODE_ROLE=hub)');
  const set = clientVars.filter((name) => env[name]);
  if (set.length === 0) return { kind: 'none' };
  if (role !== 'province')
    throw new Error(`${set.join(', ')}: logging in through the hub is for a province node (YIBAN_NODE_ROLE=province)`);
  const missing = clientVars.filter((name) => !env[name]);
  if (missing.length > 0) throw new Error(`logging in through the hub needs ${missing.join(', ')}`);
  return {
    kind: 'client',
    issuerUrl: oidcUrl('YIBAN_OIDC_ISSUER_URL', env.YIBAN_OIDC_ISSUER_URL ?? ''),
    clientId: (env.YIBAN_OIDC_CLIENT_ID ?? '').trim(),
    clientSecret: env.YIBAN_OIDC_CLIENT_SECRET ?? '',
  };
}

function oidcUrl(name: string, text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${name} is not a URL`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw new Error(`${name} must be https (plain http only to a loopback address)`);
  if (url.search || url.hash) throw new Error(`${name} takes no query or fragment`);
  return url.toString().replace(/\/+$/, '');
}

/** The federation settings; a node that is not standalone must name itself, and a province its hub. */
export function loadFederationConfig(env: NodeJS.ProcessEnv): FederationConfig {
  const role = env.YIBAN_NODE_ROLE || 'standalone';
  if (role === 'standalone') return { role };
  if (role !== 'hub' && role !== 'province')
    throw new Error(`YIBAN_NODE_ROLE must be standalone, province or hub, not ${JSON.stringify(role)}`);
  const memberId = env.YIBAN_MEMBER_ID ?? '';
  const match = MEMBER_ID.exec(memberId);
  if (!match)
    throw new Error(`YIBAN_MEMBER_ID must look like CN/GOV/130000/yiban (a six-digit division code), not ${JSON.stringify(memberId)}`);
  if (role === 'hub' && match[1] !== '000000')
    throw new Error("the hub's YIBAN_MEMBER_ID has the division code 000000 (e.g. CN/GOV/000000/hub)");
  if (role === 'province' && match[1] === '000000') throw new Error("a province's YIBAN_MEMBER_ID names its division code, not 000000");
  const name = env.YIBAN_NODE_NAME || (role === 'hub' ? '国家政务服务平台' : memberId);
  if (role === 'hub') return { role, memberId, name };
  if (!env.YIBAN_HUB_URL) throw new Error("a province node needs YIBAN_HUB_URL (the hub's base URL)");
  const url = new URL(env.YIBAN_HUB_URL);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('YIBAN_HUB_URL must be an http(s) URL');
  return { role, memberId, name, hubUrl: url.toString().replace(/\/+$/, '') };
}

function wholeEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const value = env[name] ? Number(env[name]) : fallback;
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  return value;
}

/** `METRICS_TOKEN`, refused when short enough to guess (a scrape is not rate limited). */
export function loadMetricsToken(env: NodeJS.ProcessEnv): string | undefined {
  const token = env.METRICS_TOKEN?.trim();
  if (!token) return undefined;
  if (token.length < 16 || /\s/.test(token))
    throw new Error('METRICS_TOKEN must be at least 16 characters with no spaces (e.g. openssl rand -hex 24)');
  return token;
}

/**
 * `YIBAN_PAYMENT_RAIL` = internal | external; without it: external when `YIBAN_BANK_URL` is set,
 * else internal. The external rail needs `YIBAN_BANK_URL` and `YIBAN_BANK_PUBLIC_KEY` (a PEM file).
 */
export function loadPaymentRailConfig(env: NodeJS.ProcessEnv): PaymentRailConfig {
  const kind = env.YIBAN_PAYMENT_RAIL || (env.YIBAN_BANK_URL ? 'external' : 'internal');
  if (kind === 'internal') return { kind: 'internal' };
  if (kind !== 'external') throw new Error(`YIBAN_PAYMENT_RAIL must be internal or external, not ${JSON.stringify(kind)}`);
  if (!env.YIBAN_BANK_URL || !env.YIBAN_BANK_PUBLIC_KEY)
    throw new Error('the external payment rail needs YIBAN_BANK_URL and YIBAN_BANK_PUBLIC_KEY');
  const url = new URL(env.YIBAN_BANK_URL);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('YIBAN_BANK_URL must be an http(s) URL');
  const whole = (name: string, min: number, max: number) => {
    if (!env[name]) return undefined;
    const value = Number(env[name]);
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number from ${min} to ${max}`);
    return value;
  };
  const timeoutMs = whole('YIBAN_BANK_TIMEOUT_MS', 100, 60_000);
  const attempts = whole('YIBAN_BANK_ATTEMPTS', 1, 10);
  return {
    kind: 'external',
    baseUrl: url.toString().replace(/\/+$/, ''),
    publicKey: readFileSync(env.YIBAN_BANK_PUBLIC_KEY, 'utf8'),
    ...(env.YIBAN_BANK_KEY_ID ? { keyId: env.YIBAN_BANK_KEY_ID } : {}),
    ...(env.YIBAN_BANK_NAME ? { name: env.YIBAN_BANK_NAME } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(attempts !== undefined ? { attempts } : {}),
  };
}

/**
 * `YIBAN_CODE_SENDER` = sms | demo | none; without it: sms when `YIBAN_SMS_URL` is set, else demo
 * in a demo deployment, else none (kiosk code login answers that it is unavailable). The demo
 * sender prints codes on the server console, so it is refused outside demo mode.
 */
export function loadCodeSenderConfig(env: NodeJS.ProcessEnv): CodeSenderConfig {
  const demo = env.YIBAN_DEMO === '1';
  const kind = env.YIBAN_CODE_SENDER || (env.YIBAN_SMS_URL ? 'sms' : demo ? 'demo' : 'none');
  switch (kind) {
    case 'none':
      return { kind: 'none' };
    case 'demo':
      if (!demo) throw new Error('YIBAN_CODE_SENDER=demo prints codes on the console and needs a demo deployment (YIBAN_DEMO=1)');
      return { kind: 'demo' };
    case 'sms':
      return { kind: 'sms', gateway: loadSmsGateway(env) };
    default:
      throw new Error(`YIBAN_CODE_SENDER must be sms, demo or none, not ${JSON.stringify(kind)}`);
  }
}

/**
 * `YIBAN_NOTICE_SENDER` = sms | demo | none; without it: sms when `YIBAN_SMS_URL` and
 * `YIBAN_SMS_NOTICE_TEMPLATE` are set, else demo in a demo deployment, else none (notices stay in
 * the inbox, no text message). The gateway and its key are the kiosk codes'; the template is the notices'.
 */
export function loadNoticeSenderConfig(env: NodeJS.ProcessEnv): NoticeSenderConfig {
  const demo = env.YIBAN_DEMO === '1';
  const kind = env.YIBAN_NOTICE_SENDER || (env.YIBAN_SMS_URL && env.YIBAN_SMS_NOTICE_TEMPLATE ? 'sms' : demo ? 'demo' : 'none');
  switch (kind) {
    case 'none':
      return { kind: 'none' };
    case 'demo':
      if (!demo) throw new Error('YIBAN_NOTICE_SENDER=demo prints notices on the console and needs a demo deployment (YIBAN_DEMO=1)');
      return { kind: 'demo' };
    case 'sms':
      return { kind: 'sms', gateway: loadSmsGateway({ ...env, YIBAN_SMS_TEMPLATE: env.YIBAN_SMS_NOTICE_TEMPLATE ?? '' }) };
    default:
      throw new Error(`YIBAN_NOTICE_SENDER must be sms, demo or none, not ${JSON.stringify(kind)}`);
  }
}

function loadSmsGateway(env: NodeJS.ProcessEnv): SmsGatewayConfig {
  const missing = ['YIBAN_SMS_URL', 'YIBAN_SMS_KEY_ID', 'YIBAN_SMS_SECRET', 'YIBAN_SMS_TEMPLATE'].filter((name) => !env[name]);
  if (missing.length > 0) throw new Error(`the SMS gateway needs ${missing.join(', ')}`);
  const url = new URL(env.YIBAN_SMS_URL ?? '');
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Error('YIBAN_SMS_URL must be https (plain http only to a loopback address)');
  }
  const whole = (name: string, fallback: number, min: number, max: number) => {
    const value = env[name] ? Number(env[name]) : fallback;
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number from ${min} to ${max}`);
    return value;
  };
  return {
    url: url.toString(),
    keyId: env.YIBAN_SMS_KEY_ID ?? '',
    secret: env.YIBAN_SMS_SECRET ?? '',
    template: env.YIBAN_SMS_TEMPLATE ?? '',
    signName: env.YIBAN_SMS_SIGN_NAME || '一办',
    timeoutMs: whole('YIBAN_SMS_TIMEOUT_MS', 5000, 100, 60_000),
    attempts: whole('YIBAN_SMS_ATTEMPTS', 3, 1, 10),
  };
}

/**
 * `true`/`false` or a list of proxy addresses and CIDRs. A hop count is refused: Fastify 5 trusts
 * nobody for one (it cannot check the peer), which would silently turn the setting off.
 */
export function parseTrustProxy(text: string | undefined): TrustProxy {
  const value = (text ?? '').trim();
  if (value === '' || value === 'false' || value === '0') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value))
    throw new Error("YIBAN_TRUST_PROXY: a hop count is not supported; give true or the proxies' addresses (e.g. 127.0.0.1 or 10.0.0.0/8)");
  const entries = value.split(',').map((e) => e.trim());
  const address = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:.]*:[0-9a-f:.]*)(\/\d{1,3})?$/i;
  const named = new Set(['loopback', 'linklocal', 'uniquelocal']);
  for (const entry of entries) {
    if (!named.has(entry) && !address.test(entry)) {
      throw new Error(`YIBAN_TRUST_PROXY: "${entry}" is not true, false, an IP address, a CIDR or loopback/linklocal/uniquelocal`);
    }
  }
  return entries.join(',');
}

function decodeKey(text: string): Buffer {
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error('YIBAN_MASTER_KEY must be 32 bytes, base64-encoded');
  return key;
}

/** A key file as `master.key` holds it: 32 bytes, base64, one line. */
export function readKeyFile(file: string): Buffer {
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`${file}: a master key file holds 32 bytes, base64-encoded`);
  return key;
}

/** Where the master key comes from: the environment, or the data folder's `master.key`. */
export function masterKeySource(env: NodeJS.ProcessEnv = process.env): 'env' | 'file' {
  return env.YIBAN_MASTER_KEY ? 'env' : 'file';
}

function loadOrCreateKeyFile(dataDir: string): Buffer {
  const file = path.join(dataDir, 'master.key');
  if (existsSync(file)) return decodeKey(readFileSync(file, 'utf8').trim());
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  return key;
}
