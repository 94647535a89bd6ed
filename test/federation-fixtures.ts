import type { SQL } from 'drizzle-orm';
import type { FederationConfig } from '../src/core/config.ts';
import type { Engine } from '../src/db/database.ts';
import type { App } from '../src/http/server.ts';
import { seedInsurance } from '../src/modules/insurance/index.ts';
import { makeCreditCode } from '../src/modules/orgs/credit-code.ts';
import { sm2SigningKey } from '../src/modules/sharing/index.ts';
import { sm2GenerateKeyPair } from '../src/verify/sm2-keys.ts';
import { buildTestApp, createTestContext, type TestContext } from './factories.ts';
import { freePort } from './federation-nodes.ts';
import { relay } from './tcp-relay.ts';

/** Federation members whose keys a test holds: the helper lives in src/demo (the federation demo plants a split view with one). */
export { signedPost, testMember } from '../src/demo/federation-member.ts';

export const HUB = 'CN/GOV/000000/hub';
export const HEBEI = 'CN/GOV/130000/yiban';
export const GUANGXI = 'CN/GOV/450000/yiban';

/** A federation node in the test process: its services, its HTTP server listening on `port`, and the address it publishes. */
export interface FederationNode {
  ctx: TestContext;
  app: App;
  url: string;
  port: number;
}

type Relay = Awaited<ReturnType<typeof relay>>;

/** What a test may set on a node's context; every node draws its own master key unless `masterKey` is given. */
export type FederationNodeOptions = Pick<
  NonNullable<Parameters<typeof createTestContext>[1]>,
  'clock' | 'federationFetch' | 'federationTimeoutMs' | 'masterKey'
>;

/**
 * One node listening on a free port of 127.0.0.1. It publishes `publicUrl` when given (a relay in
 * front of it), else its own address. Federation calls time out after 2 s unless the options say otherwise.
 */
export async function startFederationNode(
  engine: Engine,
  federation: FederationConfig,
  options: FederationNodeOptions & { publicUrl?: string; port?: number } = {},
): Promise<FederationNode> {
  const { publicUrl, port: fixedPort, ...contextOptions } = options;
  const port = fixedPort ?? (await freePort());
  const url = publicUrl ?? `http://127.0.0.1:${port}`;
  const ctx = await createTestContext(engine, { publicUrl: url, federation, federationTimeoutMs: 2000, ...contextOptions });
  const app = await buildTestApp(ctx);
  await app.listen({ host: '127.0.0.1', port });
  return { ctx, app, url, port };
}

/** A hub and two provinces, Hebei and Guangxi, each its own database and server. */
export interface TestFederation {
  hub: FederationNode;
  hebei: FederationNode;
  guangxi: FederationNode;
  /** In front of Guangxi when asked for (`relayGuangxi`): `setDown(true)` makes Guangxi unreachable. */
  guangxiRelay: Relay | undefined;
  /** Runs the outboxes of Hebei, then Guangxi, until both are empty. */
  drain(): Promise<void>;
  /** Closes the servers (an app a test closed already is fine), the databases and the relay. */
  close(): Promise<void>;
}

/**
 * Starts a hub and Hebei and Guangxi, which ask the hub to join. Unless `approve` is false the hub
 * approves both and both refresh their directory, so that each finds the other.
 */
export async function startFederation(
  engine: Engine,
  options: {
    /** Options for every node (an injected clock shared by all, say). */
    all?: FederationNodeOptions;
    /** Options for Guangxi only, over `all`. */
    guangxi?: FederationNodeOptions;
    /** Guangxi publishes the address of a TCP relay in front of it (test/tcp-relay.ts). */
    relayGuangxi?: boolean;
    approve?: boolean;
  } = {},
): Promise<TestFederation> {
  const nodes: FederationNode[] = [];
  let guangxiRelay: Relay | undefined;
  const close = async () => {
    for (const n of nodes) {
      await n.app.close();
      await n.ctx.close();
    }
    await guangxiRelay?.close();
  };
  try {
    const start = async (federation: FederationConfig, extra: FederationNodeOptions & { publicUrl?: string; port?: number } = {}) => {
      const node = await startFederationNode(engine, federation, { ...options.all, ...extra });
      nodes.push(node);
      return node;
    };
    const hub = await start({ role: 'hub', memberId: HUB, name: '国家政务服务平台' });
    const hebei = await start({ role: 'province', memberId: HEBEI, name: '河北政务服务网', hubUrl: hub.url });
    const guangxiPort = await freePort();
    if (options.relayGuangxi) guangxiRelay = await relay(() => guangxiPort);
    const guangxi = await start(
      { role: 'province', memberId: GUANGXI, name: '广西数字政务一体化平台', hubUrl: hub.url },
      { ...options.guangxi, port: guangxiPort, ...(guangxiRelay ? { publicUrl: guangxiRelay.url } : {}) },
    );
    await hebei.ctx.services.federation.join();
    await guangxi.ctx.services.federation.join();
    if (options.approve !== false) {
      await hub.ctx.services.federation.directory.approve(HEBEI);
      await hub.ctx.services.federation.directory.approve(GUANGXI);
      await hebei.ctx.services.federation.directory.refresh();
      await guangxi.ctx.services.federation.directory.refresh();
    }
    const drain = async () => {
      await hebei.ctx.services.events.drain();
      await guangxi.ctx.services.events.drain();
    };
    return { hub, hebei, guangxi, guangxiRelay, drain, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

/** `select count(*) as n …` on a node's database, as a number. */
export async function countRows(node: FederationNode, query: SQL): Promise<number> {
  const { rows } = await node.ctx.database.db.execute<{ n: number | string }>(query);
  return Number(rows[0]!.n);
}

/** 石家庄 (Hebei), the place of insurance of the cross-province insurance tests' patients. */
export const SHIJIAZHUANG = '130100';

/**
 * A federation for cross-province insurance: both provinces' insurance seeded (石家庄 a pooling region
 * with each node's medical-security office), and at Guangxi a Nanning tertiary hospital (its org, an
 * SM2 key, the institution) with a clerk at its window.
 */
export async function startInsuranceFederation(
  engine: Engine,
  options: Parameters<typeof startFederation>[1],
  hospital: { code: string; nameZh: string; nameEn: string; creditSerial: string },
) {
  const federation = await startFederation(engine, options);
  const { hebei, guangxi } = federation;
  try {
    for (const node of [hebei, guangxi])
      await seedInsurance(node.ctx.database.db, [
        { region: SHIJIAZHUANG, nameZh: '石家庄市', officeOrgCode: node.ctx.departments.medical_security! },
      ]);
    const admin = await guangxi.ctx.newStaff('county_admin', '130123');
    const org = await guangxi.ctx.services.orgs.createDepartment(admin, {
      name: hospital.nameZh,
      kind: 'hospital',
      creditCode: makeCreditCode(hospital.creditSerial),
      parentCode: '130123',
    });
    const key = sm2SigningKey(`${hospital.code}-key`, sm2GenerateKeyPair().privateKey);
    await guangxi.ctx.services.insuranceAdmin.registerInstitution({
      code: hospital.code,
      nameZh: org.name,
      nameEn: hospital.nameEn,
      level: 3,
      region: '450103',
      keyId: key.keyId,
      publicKey: key.publicKey,
      orgCode: org.code,
    });
    guangxi.ctx.services.insurance.reference.clear();
    const clerk = await guangxi.ctx.newStaff('hospital_window', org.code);
    return { federation, hebei, guangxi, key, clerk };
  } catch (error) {
    await federation.close();
    throw error;
  }
}
