/**
 * What the hospital system keeps: the same rule for the journal compacted at start and for the
 * books trimmed in memory while it runs, so a restart rebuilds what the running process held.
 *
 * A transaction goes once it was answered more than the retention (`journalKeepDays`) ago, and the
 * transactions of one encounter — its 2001, fee uploads, pre-settlement, settlements, their
 * cancellations and reversals — go together, once all of them have: an encounter is whole in
 * memory (and in the journal) or absent. So a stay longer than the retention keeps its 2001 (and
 * the patient's ID number, which 2303, 2304, 2305 and 2601 carry) while anything of it is recent;
 * a settlement can be cancelled or reversed with its ID number for as long as it is kept; and
 * when the last transaction of a settled (or abandoned) encounter is older than the retention, the
 * encounter, its settlements and its ID number are dropped. A transaction not answered yet — being
 * sent, in flight — is never dropped, nor anything of its encounter. 3201 and refusals that name
 * no encounter go on their own.
 */
import type { GroupOf, JournalRecord, SentRecord } from './hospital-journal.ts';

const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);

/** Each transaction's encounter (`mdtrt:<mdtrt_id>`), for those that name one. */
export const encounterGroups: GroupOf = (records: readonly JournalRecord[]) => {
  const sent = new Map<string, SentRecord>();
  const answers = new Map<string, Extract<JournalRecord, { t: 'answered' }>['answer']>();
  for (const r of records) {
    if (r.t === 'sent') sent.set(r.msgid, r);
    else answers.set(r.msgid, r.answer);
  }
  const ok = (msgid: string) => {
    const a = answers.get(msgid);
    return a?.infcode === 0 && a.output ? a.output : undefined;
  };
  const settlementEncounter = new Map<string, string>();
  for (const r of sent.values()) {
    const out = r.infno === '2304' ? ok(r.msgid) : undefined;
    const setl = text(out?.setl_id);
    const mdtrt = text(out?.mdtrt_id);
    if (setl && mdtrt) settlementEncounter.set(setl, mdtrt);
  }
  const groups = new Map<string, string>();
  for (const r of sent.values()) {
    let mdtrt: string | undefined;
    switch (r.infno) {
      case '2001':
        mdtrt = text(ok(r.msgid)?.mdtrt_id);
        break;
      case '2301':
      case '2303':
      case '2304':
        mdtrt = text(r.input.mdtrt_id);
        break;
      case '2305':
        mdtrt = settlementEncounter.get(text(r.input.setl_id) ?? '');
        break;
      case '2601':
        mdtrt = text(sent.get(text(r.input.omsgid) ?? '')?.input.mdtrt_id);
        break;
      case '1101':
      case '3201':
        break;
    }
    if (mdtrt !== undefined) groups.set(r.msgid, `mdtrt:${mdtrt}`);
  }
  return groups;
};

/** The round trips kept per transaction for p50/p99: the last ones, so a process up for months holds a bounded list. */
export const TIMINGS_KEPT = 1_000;

/** A transaction's round trips: how many since start, the last `TIMINGS_KEPT` of them. */
export interface Timings {
  count: number;
  last: number[];
}

export function recordTiming(t: Timings, ms: number): void {
  t.count++;
  t.last.push(ms);
  if (t.last.length > TIMINGS_KEPT) t.last.splice(0, t.last.length - TIMINGS_KEPT);
}
