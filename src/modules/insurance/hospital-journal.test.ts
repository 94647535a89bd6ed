import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { journalKey, openJournal, sealId, unsealId } from './hospital-journal.ts';
import { encounterGroups } from './hospital-retention.ts';

const sent = (msgid: string, at: string) => ({ t: 'sent', msgid, infno: '2304', insuranceRegion: '450800', input: { mdtrt_id: 'M1' }, at });
const answered = (msgid: string, at: string) => ({ t: 'answered', msgid, status: 200, answer: { infcode: 0, output: {} }, at });
const text = (records: readonly object[]) => records.map((r) => `${JSON.stringify(r)}\n`).join('');

describe('the hospital journal', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const journalIn = (records: readonly object[], torn = '') => {
    const dir = mkdtempSync(path.join(tmpdir(), 'yiban-journal-'));
    dirs.push(dir);
    const file = path.join(dir, 'journal.jsonl');
    writeFileSync(file, text(records) + torn);
    return { dir, file };
  };

  it('moves transactions answered before the cut-off to the archive, keeps the rest and every unanswered one, and does it once', () => {
    const records = [
      sent('old', '2026-01-05T02:00:00.000Z'),
      answered('old', '2026-01-05T02:00:01.000Z'),
      sent('unanswered', '2026-01-06T02:00:00.000Z'), // still being sent: stays whatever its age
      sent('late', '2026-01-07T02:00:00.000Z'), // sent long ago, answered after the cut-off: stays
      sent('recent', '2026-03-01T02:00:00.000Z'),
      answered('late', '2026-03-01T02:00:02.000Z'),
      answered('recent', '2026-03-01T02:00:03.000Z'),
    ];
    const { dir, file } = journalIn(records, '{"t":"sent","msgid":"torn'); // a torn last line is cut off first
    const journal = openJournal(file, { archiveBefore: new Date('2026-02-01T00:00:00Z') });
    journal.close();
    expect(journal.archived).toBe(2);
    const kept = records.slice(2);
    expect(journal.records).toEqual(kept);
    expect(readFileSync(file, 'utf8')).toBe(text(kept));
    const archive = readdirSync(path.join(dir, 'journal-archive'));
    expect(archive).toEqual(['2026-01-05T020000000Z--2026-01-05T020001000Z.jsonl']);
    expect(readFileSync(path.join(dir, 'journal-archive', archive[0]!), 'utf8')).toBe(text(records.slice(0, 2)));

    // Opened again: nothing more to move, the same records.
    const again = openJournal(file, { archiveBefore: new Date('2026-02-01T00:00:00Z') });
    again.close();
    expect([again.archived, again.records]).toEqual([0, kept]);
  });

  it('a compaction cut short after writing the archive writes the same archive file again, not a second copy', () => {
    const records = [
      sent('a', '2026-01-05T02:00:00.000Z'),
      answered('a', '2026-01-05T02:00:01.000Z'),
      sent('b', '2026-03-01T00:00:00.000Z'),
    ];
    const { dir, file } = journalIn(records);
    openJournal(file, { archiveBefore: new Date('2026-02-01T00:00:00Z') }).close();
    // As if the process died before the journal was rewritten: the old journal is back.
    writeFileSync(file, text(records));
    const reopened = openJournal(file, { archiveBefore: new Date('2026-02-01T00:00:00Z') });
    reopened.close();
    expect(reopened.records).toEqual(records.slice(2));
    const archive = readdirSync(path.join(dir, 'journal-archive'));
    expect(archive).toHaveLength(1);
    expect(readFileSync(path.join(dir, 'journal-archive', archive[0]!), 'utf8')).toBe(text(records.slice(0, 2)));
  });

  it("linked by encounter, an encounter's transactions move together, once the last of them is old", () => {
    const tx = (msgid: string, infno: string, input: object, at: string, output: object = {}) => [
      { t: 'sent', msgid, infno, insuranceRegion: '450800', input, at },
      { t: 'answered', msgid, status: 200, answer: { infcode: 0, output }, at },
    ];
    const records = [
      ...tx('a1', '2001', { psn_no: 'P1' }, '2026-01-05T02:00:00.000Z', { mdtrt_id: 'MA' }),
      ...tx('a2', '2304', { mdtrt_id: 'MA' }, '2026-01-06T02:00:00.000Z', { mdtrt_id: 'MA', setl_id: 'SA' }),
      ...tx('b1', '2001', { psn_no: 'P2' }, '2026-01-05T03:00:00.000Z', { mdtrt_id: 'MB' }), // a long stay
      ...tx('b2', '2301', { mdtrt_id: 'MB' }, '2026-01-20T02:00:00.000Z'),
      ...tx('b3', '2304', { mdtrt_id: 'MB' }, '2026-01-30T02:00:00.000Z', { mdtrt_id: 'MB', setl_id: 'SB' }),
      ...tx('b4', '2601', { omsgid: 'b3', oinfno: '2304' }, '2026-02-10T02:00:00.000Z'), // reversed after the cut-off
      ...tx('c1', '2001', { psn_no: 'P3' }, '2026-01-05T04:00:00.000Z', { mdtrt_id: 'MC' }),
      ...tx('c2', '2304', { mdtrt_id: 'MC' }, '2026-01-07T02:00:00.000Z', { mdtrt_id: 'MC', setl_id: 'SC' }),
      ...tx('c3', '2305', { setl_id: 'SC' }, '2026-02-11T02:00:00.000Z'), // cancelled after the cut-off
      ...tx('r1', '3201', { stmt_date: '2026-01-05' }, '2026-01-06T03:00:00.000Z', { stmt_rslt: '0' }),
    ];
    const { file } = journalIn(records);
    const journal = openJournal(file, { archiveBefore: new Date('2026-02-01T00:00:00Z'), groupOf: encounterGroups });
    journal.close();
    expect(new Set(journal.records.map((r) => r.msgid))).toEqual(new Set(['b1', 'b2', 'b3', 'b4', 'c1', 'c2', 'c3']));
    expect(journal.archived).toBe(6); // A's two transactions and the 3201, two records each
  });

  it('without a cut-off it keeps everything', () => {
    const records = [sent('a', '2026-01-05T02:00:00.000Z'), answered('a', '2026-01-05T02:00:01.000Z')];
    const { file } = journalIn(records);
    const journal = openJournal(file);
    journal.close();
    expect([journal.archived, journal.records]).toEqual([0, records]);
  });
});

describe('an ID number in the journal', () => {
  it('is sealed to its record: opened with the key and the msgid, refused with another msgid or key', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'yiban-journal-key-'));
    try {
      const key = journalKey(dir);
      expect(journalKey(dir)).toEqual(key); // made once, then read
      expect(statSync(path.join(dir, 'journal-key')).mode & 0o777).toBe(0o600);
      const id = '45088119500312002X';
      const sealed = sealId(key, id, 'H45010300001202608100001');
      expect(sealed).not.toContain(id);
      expect(unsealId(key, sealed, 'H45010300001202608100001')).toBe(id);
      expect(() => unsealId(key, sealed, 'H45010300001202608100002')).toThrow();
      expect(() => unsealId(Buffer.alloc(32, 1), sealed, 'H45010300001202608100001')).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
