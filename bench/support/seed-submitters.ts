import { openPlatform } from '../../src/platform.ts';
import { SEED_SERVICE_ITEMS } from '../../src/modules/catalog/catalog.seed.ts';
import { makeResidentId } from '../../src/modules/identity/resident-id.ts';
import { ensureDemoDepartments } from '../../src/modules/orgs/orgs.service.ts';
import type { Config } from '../../src/core/config.ts';

const PASSWORD = 'Bench-passw0rd';
export const ZHENGDING_COUNTY = '130123';

/**
 * Seeds what a submission needs, the way test/factories.ts does: the 正定县 subtree, the demo
 * departments, the catalogue, and `count` residents registered and logged in through the
 * identity service (so each has a real password hash and a session token). Residents live
 * in the villages of 正定县 in turn, so cases spread over the county's villages.
 */
export async function seedSubmitters(
  config: Config,
  count: number,
  log: (line: string) => void,
): Promise<{ tokens: string[]; villages: number }> {
  const platform = await openPlatform(config);
  try {
    const { services } = platform;
    await services.orgsAdmin.loadDivisions({ scope: { prefix: ZHENGDING_COUNTY } });
    await ensureDemoDepartments(platform.database.db);
    await services.catalogAdmin.upsertItems(SEED_SERVICE_ITEMS);

    const villages: string[] = [];
    for (const township of await listAll(services.orgs, ZHENGDING_COUNTY)) {
      for (const org of await listAll(services.orgs, township.code)) if (org.level === 'village') villages.push(org.code);
    }
    if (villages.length === 0) throw new Error('no villages under 正定县');

    const tokens: string[] = [];
    const started = performance.now();
    // Two at a time: argon2 hashing runs on the libuv pool, and the machine has two cores.
    for (let i = 0; i < count; i += 2) {
      const batch = [i, i + 1].filter((n) => n < count);
      tokens.push(
        ...(await Promise.all(
          batch.map(async (n) => {
            const residentId = makeResidentId(ZHENGDING_COUNTY, birthDate(n), n % 1000);
            await services.identity.registerResident({
              name: '压测居民',
              residentId,
              phone: `139${String(n).padStart(8, '0')}`,
              password: PASSWORD,
              homeOrgCode: villages[n % villages.length]!,
            });
            const { token } = await services.identity.login({
              kind: 'resident',
              residentIdOrPhone: residentId,
              password: PASSWORD,
              channel: 'app',
            });
            return token;
          }),
        )),
      );
    }
    log(
      `  seeded 正定县 (${villages.length} villages), departments, catalogue, ${count} residents with sessions in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    return { tokens, villages: villages.length };
  } finally {
    await platform.close();
  }
}

/** A distinct birth date per resident, from 1950-01-01 on. */
function birthDate(n: number): string {
  return new Date(Date.UTC(1950, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
}

async function listAll(
  orgs: {
    listChildren(
      code: string,
      page: { after?: string; limit?: number },
    ): Promise<{ items: { code: string; level: string }[]; next: string | null }>;
  },
  code: string,
) {
  const all: { code: string; level: string }[] = [];
  let after: string | undefined;
  do {
    const page = await orgs.listChildren(code, { limit: 200, ...(after ? { after } : {}) });
    all.push(...page.items);
    after = page.next ?? undefined;
  } while (after);
  return all;
}
