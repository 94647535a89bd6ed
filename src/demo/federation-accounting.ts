import { sql } from 'drizzle-orm';
import { openDatabase } from '../db/database.ts';

/**
 * What the federation demo counts in each node's own database once its process has stopped (one
 * process per PGlite database): the messages it sent and received, the effects of the received
 * ones, and its side of each cross-province case.
 */
export interface NodeRecords {
  memberId: string;
  out: { id: string; to: string; type: string; status: string; attempts: number }[];
  in: { id: string; from: string; type: string }[];
  /** Ledger leaves `federation.received` per message id (a message applied twice would have two). */
  receivedLeaves: Map<string, number>;
  crossCases: { side: string; peer: string; handoverMessageId: string; state: string; decision: string | null; caseId: string | null }[];
  /** Its side of each evidence request (requester: the case's node; provider: the library's). */
  evidence: { id: string; side: string; peer: string; requestMessageId: string | null; caseRef: string; state: string }[];
  /** Insurance settlements at this node's windows (the place of treatment's side of a cross-province one). */
  settlements: {
    setlId: string;
    mdtrtId: string;
    status: string;
    insuranceRegion: string;
    policyVersion: string;
    totalFen: number;
    hifpPayFen: number;
    acctPayFen: number;
    cashPayFen: number;
  }[];
  /** Settlements this node made as the place of insurance for another province's window (insurance_remote_settlements). */
  remoteSettlements: {
    ref: string;
    fromMember: string;
    mdtrtId: string;
    status: string;
    policyVersion: string;
    totalFen: number;
    hifpPayFen: number;
    acctPayFen: number;
    cashPayFen: number;
  }[];
  /** Cases opened on this node for each applicant (a hand-over applied twice would open a second). */
  casesPerApplicant: number[];
  caseStates: Map<string, string>;
}

export async function readNodeRecords(dataDir: string, memberId: string): Promise<NodeRecords> {
  const database = await openDatabase({ engine: 'pglite', dataDir });
  try {
    const rows = async <T extends Record<string, unknown>>(q: ReturnType<typeof sql>) => (await database.db.execute<T>(q)).rows;
    const out = await rows<{ id: string; to: string; type: string; status: string; attempts: number }>(
      sql`select id::text as id, to_member as "to", type, status, attempts from federation_messages where direction = 'out'`,
    );
    const received = await rows<{ id: string; from: string; type: string }>(
      sql`select id::text as id, from_member as "from", type from federation_messages where direction = 'in'`,
    );
    const leaves = await rows<{ id: string; n: number | string }>(
      sql`select l.data->>'id' as id, count(*) as n from (
            select convert_from(data, 'UTF8')::jsonb as data from ledger_entries where kind = 'federation.received'
            union all select convert_from(data, 'UTF8')::jsonb from ledger_queue where kind = 'federation.received') l
          group by l.data->>'id'`,
    );
    const crossCases = await rows<NodeRecords['crossCases'][number]>(
      sql`select side, peer, handover_message_id::text as "handoverMessageId", state, decision, case_id::text as "caseId"
          from federation_cases order by created_at`,
    );
    const evidence = await rows<NodeRecords['evidence'][number]>(
      sql`select id::text as id, side, peer, request_message_id::text as "requestMessageId", case_ref as "caseRef", state
          from federation_evidence order by created_at`,
    );
    const fen = <T extends { totalFen: unknown; hifpPayFen: unknown; acctPayFen: unknown; cashPayFen: unknown }>(r: T) => ({
      ...r,
      totalFen: Number(r.totalFen),
      hifpPayFen: Number(r.hifpPayFen),
      acctPayFen: Number(r.acctPayFen),
      cashPayFen: Number(r.cashPayFen),
    });
    const settlements = await rows<NodeRecords['settlements'][number]>(
      sql`select setl_id as "setlId", mdtrt_id as "mdtrtId", status, insurance_region as "insuranceRegion", policy_version as "policyVersion",
            total_fen as "totalFen", hifp_pay_fen as "hifpPayFen", acct_pay_fen as "acctPayFen", cash_pay_fen as "cashPayFen"
          from insurance_settlements order by settled_at`,
    );
    const remoteSettlements = await rows<NodeRecords['remoteSettlements'][number]>(
      sql`select ref::text as ref, from_member as "fromMember", mdtrt_id as "mdtrtId", status, policy_version as "policyVersion",
            total_fen as "totalFen", hifp_pay_fen as "hifpPayFen", acct_pay_fen as "acctPayFen", cash_pay_fen as "cashPayFen"
          from insurance_remote_settlements order by settled_at`,
    );
    const perApplicant = await rows<{ n: number | string }>(sql`select count(*) as n from cases group by applicant_id`);
    const states = await rows<{ id: string; state: string }>(sql`select id::text as id, state from cases`);
    return {
      memberId,
      out: out.map((r) => ({ ...r, attempts: Number(r.attempts) })),
      in: received,
      receivedLeaves: new Map(leaves.map((l) => [l.id, Number(l.n)])),
      crossCases,
      evidence,
      settlements: settlements.map(fen),
      remoteSettlements: remoteSettlements.map(fen),
      casesPerApplicant: perApplicant.map((r) => Number(r.n)),
      caseStates: new Map(states.map((s) => [s.id, s.state])),
    };
  } finally {
    await database.close();
  }
}

export interface MessageFigures {
  /** Per node: messages it sent (and how many its peers hold as received), and received, by type. */
  perNode: Record<string, { sent: number; received: number; sentByType: Record<string, number>; receivedByType: Record<string, number> }>;
  /** Ledger leaves beyond the first per message id, receiver rows beyond the first per hand-over, cases beyond the first per applicant. */
  duplicatesApplied: number;
  duplicates: { ledgerLeaves: number; handoverRows: number; casesPerApplicant: number };
  /** Messages a node sent to another node of the demo that the receiver never recorded. */
  lost: number;
  /** Sent rows still pending at the sender (the receiver may already hold them: its answer not yet recorded). */
  pendingAtSender: number;
}

const tally = (types: string[]) => types.reduce<Record<string, number>>((acc, t) => ({ ...acc, [t]: (acc[t] ?? 0) + 1 }), {});

export function messageFigures(nodes: NodeRecords[]): MessageFigures {
  const byMember = new Map(nodes.map((n) => [n.memberId, n]));
  const perNode: MessageFigures['perNode'] = {};
  let lost = 0;
  let pendingAtSender = 0;
  const duplicates = { ledgerLeaves: 0, handoverRows: 0, casesPerApplicant: 0 };
  for (const n of nodes) {
    perNode[n.memberId] = {
      sent: n.out.length,
      received: n.in.length,
      sentByType: tally(n.out.map((m) => m.type)),
      receivedByType: tally(n.in.map((m) => m.type)),
    };
    for (const m of n.out) {
      if (m.status === 'pending') pendingAtSender++;
      const receiver = byMember.get(m.to);
      if (receiver && !receiver.in.some((r) => r.id === m.id)) lost++;
    }
    for (const count of n.receivedLeaves.values()) duplicates.ledgerLeaves += count - 1;
    const perHandover = new Map<string, number>();
    for (const c of n.crossCases.filter((x) => x.side === 'receiver'))
      perHandover.set(c.handoverMessageId, (perHandover.get(c.handoverMessageId) ?? 0) + 1);
    for (const count of perHandover.values()) duplicates.handoverRows += count - 1;
    for (const count of n.casesPerApplicant) duplicates.casesPerApplicant += count - 1;
  }
  return {
    perNode,
    duplicatesApplied: duplicates.ledgerLeaves + duplicates.handoverRows + duplicates.casesPerApplicant,
    duplicates,
    lost,
    pendingAtSender,
  };
}
