import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { VILLAGE } from '../../../test/factories.ts';
import { createTestDatabase, testEngines } from '../../../test/db.ts';
import { until } from '../../../test/federation-nodes.ts';
import {
  countRows as count,
  GUANGXI,
  HEBEI,
  startFederation,
  type FederationNode as Node,
  type TestFederation,
} from '../../../test/federation-fixtures.ts';
import { createMessageVault, rekeyMessages, sealLegacyMessages } from './message-vault.ts';

/**
 * Personal data at rest in `federation_messages`: a hand-over carries the applicant's ID number
 * and name, and neither node keeps them in clear; done bodies are pruned after the retention,
 * and a replay is still answered from the row (applied once).
 */

const NAME = '甘秀英';
const residenceForm = { address: '广西壮族自治区南宁市青秀区', residentSince: '2015-05-01', purpose: 'school' };

/** Rows of the table whose whole text (every column) contains `text`. */
const rowsContaining = (text: string) => sql`select count(*) as n from federation_messages m where m::text like ${`%${text}%`}`;

describe.each(testEngines())('federation messages at rest (%s)', (engine) => {
  let hebei: Node;
  let guangxi: Node;
  let guangxiRelay: NonNullable<TestFederation['guangxiRelay']>;
  let handover: { id: string; messageId: string; residentId: string; accountId: string };

  let federation: TestFederation;
  const drainBoth = () => federation.drain();

  beforeAll(async () => {
    federation = await startFederation(engine, { relayGuangxi: true });
    ({ hebei, guangxi } = federation);
    guangxiRelay = federation.guangxiRelay!;
  }, 180_000);

  afterAll(() => federation?.close());

  /** A Hebei clerk hands a new resident's residence application over to Guangxi (its message sealed, not yet delivered). */
  async function handOver() {
    const resident = await hebei.ctx.newResident({ name: NAME });
    const clerk = await hebei.ctx.newStaff('village_reviewer', VILLAGE);
    const handed = await hebei.ctx.services.crossCases.handOver(clerk, {
      to: GUANGXI,
      serviceCode: 'cert.residence',
      form: residenceForm,
      residentId: resident.residentId,
      applicantName: NAME,
      orgCode: VILLAGE,
    });
    return { resident, clerk, handed };
  }

  it('seals the hand-over on both nodes (no clear ID number or name), and its delivery is retried until Guangxi answers', async () => {
    guangxiRelay.setDown(true);
    const { resident, clerk, handed } = await handOver();
    handover = { id: handed.id, messageId: handed.handoverMessageId, residentId: resident.residentId, accountId: resident.accountId };
    // Guangxi is unreachable: the attempt fails and the message waits, sealed.
    await until('a failed attempt', async () => {
      await hebei.ctx.services.events.runOnce();
      const receipt = await hebei.ctx.services.federation.receipt('out', handed.handoverMessageId);
      return receipt !== null && receipt.attempts > 0;
    });
    expect(await hebei.ctx.services.federation.receipt('out', handed.handoverMessageId)).toMatchObject({ status: 'pending' });

    guangxiRelay.setDown(false);
    // The retry opens the sealed body and sends the same bytes; Guangxi opens its own sealed copy to register the applicant.
    await until(
      'the case accepted in Guangxi',
      async () => {
        await drainBoth();
        return (await hebei.ctx.services.crossCases.get(clerk, handed.id)).state !== 'handed-over';
      },
      60_000,
    );
    expect(await hebei.ctx.services.crossCases.get(clerk, handed.id)).toMatchObject({ state: 'accepted', reason: null });
    expect(await hebei.ctx.services.federation.receipt('out', handed.handoverMessageId)).toMatchObject({ status: 'delivered' });
    expect(await count(guangxi, sql`select count(*) as n from cases where form->>'address' = ${residenceForm.address}`)).toBe(1);

    for (const node of [hebei, guangxi]) {
      expect(await count(node, rowsContaining(resident.residentId))).toBe(0);
      expect(await count(node, rowsContaining(NAME))).toBe(0);
      expect(await count(node, rowsContaining('青秀区'))).toBe(0);
      expect(await count(node, sql`select count(*) as n from federation_messages where body is not null`)).toBe(0);
      expect(
        await count(
          node,
          sql`select count(*) as n from federation_messages where id = ${handed.handoverMessageId}::uuid and sealed_body is not null`,
        ),
      ).toBe(1);
    }
  });

  it('prunes done bodies after the retention only, and a replay after pruning is answered from the row, applied once', async () => {
    const { messageId } = handover;
    // Within the retention (30 days by default): nothing goes.
    expect(await guangxi.ctx.services.federation.pruneMessageBodies()).toBe(0);
    expect(await guangxi.ctx.services.federation.pruneMessageBodies({ retentionMs: 0, batchSize: 1 })).toBeGreaterThanOrEqual(1);
    const { rows } = await guangxi.ctx.database.db.execute<{ sealed: string | null; pruned: unknown; digest: string; response: unknown }>(
      sql`select sealed_body as sealed, pruned_at as pruned, body_digest as digest, response from federation_messages
          where direction = 'in' and id = ${messageId}::uuid`,
    );
    expect(rows[0]).toMatchObject({ sealed: null, digest: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown });
    expect(rows[0]!.pruned).not.toBeNull();
    expect(rows[0]!.response).toMatchObject({ status: 'applied' });
    expect(
      await count(
        guangxi,
        sql`select count(*) as n from federation_messages where pruned_at is null and status in ('applied','delivered')`,
      ),
    ).toBe(0);
    expect(await guangxi.ctx.services.federation.receivedPayload(messageId)).toBeNull();

    // Hebei delivers the hand-over again (a worker that died before it marked the event): the same bytes, answered from the first answer.
    await hebei.ctx.database.db.execute(
      sql`update federation_messages set status = 'pending' where id = ${messageId}::uuid and direction = 'out'`,
    );
    await hebei.ctx.database.db.execute(
      sql`update outbox set processed_at = null, available_at = now() - interval '1 second'
          where topic = 'federation.message' and payload->>'messageId' = ${messageId}`,
    );
    await hebei.ctx.database.db.execute(sql`delete from event_handled where handler = 'federation.deliver'`);
    await until('the replay answered', async () => {
      await drainBoth();
      return (await hebei.ctx.services.federation.receipt('out', messageId))?.status === 'delivered';
    });
    const { rows: answer } = await hebei.ctx.database.db.execute<{ response: Record<string, unknown> }>(
      sql`select response from federation_messages where id = ${messageId}::uuid and direction = 'out'`,
    );
    expect(answer[0]!.response).toMatchObject({ replayed: true, status: 'applied' });
    expect(await count(guangxi, sql`select count(*) as n from federation_cases where handover_message_id = ${messageId}::uuid`)).toBe(1);
    expect(await count(guangxi, sql`select count(*) as n from cases where form->>'address' = ${residenceForm.address}`)).toBe(1);

    // Hebei prunes its done messages too: the receipt (ids, digest, state) stays.
    expect(await hebei.ctx.services.federation.pruneMessageBodies({ retentionMs: 0 })).toBeGreaterThanOrEqual(1);
    expect(await hebei.ctx.services.federation.receipt('out', messageId)).toMatchObject({ status: 'delivered', type: 'case.handover' });
  });

  it('prunes the body of a message refused for good after the retention as well (its ID number and name do not stay)', async () => {
    const { handed } = await handOver();
    // Refused for good, as the delivery marks a 4xx answer other than 401 and 403 (messages.ts).
    await hebei.ctx.database.db.execute(
      sql`update federation_messages set status = 'refused', done_at = now(), last_error = 'refused: HTTP 409'
          where id = ${handed.handoverMessageId}::uuid and direction = 'out'`,
    );
    const kept = sql`select count(*) as n from federation_messages where id = ${handed.handoverMessageId}::uuid and direction = 'out' and sealed_body is not null`;
    expect(await count(hebei, kept)).toBe(1);
    // Within the retention it stays; after it, the body goes and the row (status, last error) stays.
    await hebei.ctx.services.federation.pruneMessageBodies();
    expect(await count(hebei, kept)).toBe(1);
    expect(await hebei.ctx.services.federation.pruneMessageBodies({ retentionMs: 0 })).toBeGreaterThanOrEqual(1);
    expect(await count(hebei, kept)).toBe(0);
    expect(await hebei.ctx.services.federation.receipt('out', handed.handoverMessageId)).toMatchObject({ status: 'refused' });
  });
});

describe.each(testEngines())('sealing bodies kept in clear, and the master key rotation (%s)', (engine) => {
  it('seals legacy clear bodies once, and re-seals every kept body under a new key', async () => {
    const database = await createTestDatabase(engine);
    try {
      const [key, next] = [randomBytes(32), randomBytes(32)];
      const ids = [randomUUID(), randomUUID()];
      const body = (id: string) => JSON.stringify({ id, payload: { applicant: { residentId: '11010519491231002X', name: NAME } } });
      for (const id of ids)
        await database.db.execute(sql`
          insert into federation_messages (direction, id, from_member, to_member, type, body, body_digest, created, status)
          values ('in', ${id}::uuid, ${HEBEI}, ${GUANGXI}, 'case.handover', ${body(id)}, ${'0'.repeat(64)}, now(), 'applied')`);
      expect(await sealLegacyMessages(database.db, key)).toBe(2);
      expect(await sealLegacyMessages(database.db, key)).toBe(0);
      const read = async () =>
        (
          await database.db.execute<{ id: string; body: string | null; sealed: string }>(
            sql`select id::text as id, body, sealed_body as sealed from federation_messages order by id`,
          )
        ).rows;
      for (const row of await read()) {
        expect(row.body).toBeNull();
        expect(row.sealed).not.toContain('11010519491231002X');
        expect(createMessageVault(key).open('in', row.id, row.sealed)).toBe(body(row.id));
        // Bound to its row: another id's associated data does not open it.
        expect(() => createMessageVault(key).open('out', row.id, row.sealed)).toThrow();
      }
      await database.db.transaction(async (tx) => expect(await rekeyMessages(tx, key, next)).toBe(2));
      for (const row of await read()) {
        expect(createMessageVault(next).open('in', row.id, row.sealed)).toBe(body(row.id));
        expect(() => createMessageVault(key).open('in', row.id, row.sealed)).toThrow();
      }
    } finally {
      await database.close();
    }
  });
});
