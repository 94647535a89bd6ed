import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { createServices, type ServiceOptions, type Services } from '../src/app.ts';
import { buildApp } from '../src/platform.ts';
import type { App } from '../src/http/server.ts';
import type { Database, Engine } from '../src/db/database.ts';
import type { StatusListOptions } from '../src/modules/certificates/status-lists.ts';
import type { StaffRole } from '../src/modules/identity/identity.tables.ts';
import type { Principal } from '../src/modules/identity/principal.ts';
import { makeResidentId } from '../src/modules/identity/resident-id.ts';
import { ensureDemoDepartments } from '../src/modules/orgs/orgs.service.ts';
import { createTestDatabase } from './db.ts';
import { capturingCodeSender, type CapturingCodeSender } from './code-sender.ts';
import { DEFAULT_RATE_LIMITS, raiseRateLimits, type RateLimits } from '../src/core/rate-limits.ts';
import type { CodeSender } from '../src/modules/identity/code-senders.ts';
import type { NoticeSender } from '../src/modules/inbox/notice-senders.ts';

export const PASSWORD = 'Test-Passw0rd-2026x';
/** 塔元庄村民委员会 and a neighbouring village of 正定镇, both real codes. */
export const VILLAGE = '130123100242';

export interface TestContext {
  database: Database;
  services: Services;
  departments: Record<string, string>;
  /** A second village in the same county, for cross-village checks. */
  otherVillage: string;
  /** The master key the services were built with (for a second instance of a service). */
  masterKey: Buffer;
  /** Kiosk one-time codes "sent" in this context (the default sender captures them). */
  codes: CapturingCodeSender;
  newResident(options?: { homeOrgCode?: string; name?: string }): Promise<Principal & { residentId: string; phone: string }>;
  newStaff(role: StaffRole, orgCode: string): Promise<Principal & { username: string }>;
  login(input: Parameters<Services['identity']['login']>[0], onBehalfOf?: string): Promise<Principal>;
  close(): Promise<void>;
}

let counter = 0;

/** A unique, valid resident ID: a random birth date and sequence under 正定县. */
export function freshResidentId(): string {
  const year = 1950 + Math.floor(Math.random() * 60);
  const day = 1 + Math.floor(Math.random() * 28);
  const month = 1 + Math.floor(Math.random() * 12);
  const seq = (counter++ * 7919 + Math.floor(Math.random() * 1000)) % 1000;
  return makeResidentId('130123', `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`, seq);
}

function freshPhone(): string {
  return `139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
}

/**
 * A migrated database with the real 正定县 division subtree, the demo departments and the
 * catalogue; factories make fresh residents and staff for each test.
 */
export async function createTestContext(
  engine: Engine,
  options: {
    clock?: () => Date;
    publicUrl?: string;
    statusLists?: StatusListOptions;
    bundleDefinitions?: readonly unknown[];
    externalSharing?: ServiceOptions['externalSharing'];
    masterKey?: Buffer;
    pgliteDir?: string;
    /** Replaces the capturing kiosk code sender (null: none configured). */
    codeSender?: CodeSender | null;
    /** Where inbox notices' text messages go (default: none configured). */
    noticeSender?: NoticeSender | null;
    /** The node's federation role (standalone by default). */
    federation?: ServiceOptions['federation'];
    /** A federation delivery attempt's limit in ms. */
    federationTimeoutMs?: number;
    /** How the node asks the hub and other members (default: global fetch). */
    federationFetch?: typeof fetch;
  } = {},
): Promise<TestContext> {
  // Migrated and seeded (divisions of 正定县 and 长安区, demo departments, catalogue, certificate types).
  const database = await createTestDatabase(engine, { seeded: true, ...(options.pgliteDir ? { pgliteDir: options.pgliteDir } : {}) });
  const codes = capturingCodeSender();
  const masterKey = options.masterKey ?? randomBytes(32);
  const services = createServices(database, {
    masterKey,
    codeSender: options.codeSender !== undefined ? options.codeSender : codes,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
    ...(options.statusLists ? { statusLists: options.statusLists } : {}),
    ...(options.bundleDefinitions ? { bundleDefinitions: options.bundleDefinitions } : {}),
    ...(options.externalSharing ? { externalSharing: options.externalSharing } : {}),
    ...(options.noticeSender ? { noticeSender: options.noticeSender } : {}),
    ...(options.federation ? { federation: options.federation } : {}),
    ...(options.federationTimeoutMs ? { federationTimeoutMs: options.federationTimeoutMs } : {}),
    ...(options.federationFetch ? { federationFetch: options.federationFetch } : {}),
  });
  const departments: Record<string, string> = {};
  for (const d of await ensureDemoDepartments(database.db)) if (d.departmentKind) departments[d.departmentKind] ??= d.code;
  const siblings = await services.orgs.listChildren('130123100', { limit: 5 });
  const otherVillage = siblings.items.find((o) => o.code !== VILLAGE)?.code;
  if (!otherVillage) throw new Error('no second village found');

  async function login(input: Parameters<Services['identity']['login']>[0], onBehalfOf?: string): Promise<Principal> {
    const { token } = await services.identity.login(input);
    const principal = await services.identity.authenticate(token, onBehalfOf);
    if (!principal) throw new Error('login did not give a session');
    return principal;
  }

  const context: TestContext = {
    database,
    services,
    departments,
    otherVillage,
    masterKey,
    codes,
    login,
    async newResident(opts = {}) {
      for (let attempt = 0; ; attempt++) {
        const residentId = freshResidentId();
        const phone = freshPhone();
        try {
          await services.identity.registerResident({
            name: opts.name ?? '测试居民',
            residentId,
            phone,
            password: PASSWORD,
            homeOrgCode: opts.homeOrgCode ?? VILLAGE,
          });
        } catch (error) {
          if (attempt < 5 && (error as { code?: string }).code === 'ALREADY_REGISTERED') continue;
          throw error;
        }
        const principal = await login({ kind: 'resident', residentIdOrPhone: residentId, password: PASSWORD, channel: 'app' });
        return { ...principal, residentId, phone };
      }
    },
    async newStaff(role, orgCode) {
      const username = `u${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
      await services.identityAdmin.ensureStaff({ username, name: `测试${role}`, password: PASSWORD, roles: [{ role, orgCode }] });
      const principal = await login({ kind: 'staff', username, password: PASSWORD, channel: 'web' });
      return { ...principal, username };
    },
    close: async () => {
      await services.kiosk.settled();
      await database.close();
    },
  };
  return context;
}

/**
 * Tests log in many times from one address: the limits are raised (not switched off) unless a
 * test asks for others, e.g. `DEFAULT_RATE_LIMITS` to see them bite.
 */
export const TEST_RATE_LIMITS: RateLimits = raiseRateLimits(DEFAULT_RATE_LIMITS, 1000);

/** The HTTP app over a test context's services, quiet; closing it closes the context too. */
export function buildTestApp(ctx: TestContext, options: { rateLimits?: RateLimits } = {}): Promise<App> {
  return buildApp(
    { database: ctx.database, services: ctx.services, close: () => ctx.close() },
    { logLevel: 'silent', rateLimits: options.rateLimits ?? TEST_RATE_LIMITS },
  );
}

/**
 * A residence certificate approved by the village reviewer: its ledger entry queued and its events in
 * the outbox, for the background's work to take up. Returns the entry's id.
 */
export async function approvedCertificateEntry(ctx: TestContext): Promise<number> {
  const reviewer = await ctx.newStaff('village_reviewer', VILLAGE);
  const { case: c } = await ctx.services.applications.submit(await ctx.newResident(), {
    serviceCode: 'cert.residence',
    form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
  });
  await ctx.services.applications.act(reviewer, c.id, 'approve');
  const [certificate] = (
    await ctx.database.db.execute<{ ledger_entry_id: number }>(sql`select ledger_entry_id from certificates where case_id = ${c.id}`)
  ).rows;
  return Number(certificate!.ledger_entry_id);
}
