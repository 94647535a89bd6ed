/**
 * The hospital system's journal: one JSON line per record, appended and flushed to disk
 * (fdatasync) before the message it records leaves, or before its answer is acted on.
 *
 * Why a plain append-only file and not an embedded database: one process writes it, records are
 * never updated in place (a transaction is `sent`, later `answered`), and recovery is reading it
 * once from the start. An append plus fdatasync is the whole durability story, it needs no new
 * dependency, and an operator can read it with `tail`. Appends that arrive while a flush is under
 * way are written and flushed together (group commit), so many windows do not queue behind one
 * disk flush each. A process killed in the middle of a write leaves at most one torn last line;
 * opening the journal cuts it off (that record's message was never sent: it is sent only after
 * its line is on disk).
 *
 * Resident ID numbers never go into it in clear: person information (1101) is a read and is not
 * journaled; the rest name people by their insurance number (psn_no), and where a transaction
 * must carry the ID number it is sealed (AES-256-GCM under the state directory's `journal-key`,
 * bound to the record's msgid).
 *
 * It does not grow for ever: at opening, transactions answered before the retention (both their
 * records older than the cut-off) move to an archive file of their own (`journal-archive/`, named
 * by the first and last record's time, so a compaction cut short and run again writes the same
 * file), and the journal is rewritten with the rest (a new file flushed, then renamed over it).
 * Unanswered transactions always stay, whatever their age: they are still being sent. Records the
 * caller links (`groupOf`: the hospital system links an encounter's transactions) move together or
 * not at all. The running hospital system drops from memory what `archivable` selects, the same
 * rule, so a restart rebuilds what it held (hospital-retention.ts).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fdatasync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { Answer, Infno } from './envelope.ts';

export interface SentRecord {
  t: 'sent';
  msgid: string;
  infno: Infno;
  insuranceRegion: string;
  input: Record<string, unknown>;
  /**
   * The patient's ID number (the card read at registration), sealed with the journal's key
   * (`sealId`): 2001 keeps it for the encounter; 2303, 2304, 2305 and 2601 carry it in clear only
   * on the wire, as `mdtrt_cert_no` (a settlement across provinces needs it).
   */
  cert?: string;
  at: string;
}

export interface AnsweredRecord {
  t: 'answered';
  msgid: string;
  /** HTTP status of the answer (200, or the refusal's). */
  status: number;
  answer: Answer;
  at: string;
}

export type JournalRecord = SentRecord | AnsweredRecord;

/** Links records by msgid: msgids given the same group move to the archive together or not at all. */
export type GroupOf = (records: readonly JournalRecord[]) => ReadonlyMap<string, string>;

/**
 * The msgids of the transactions to archive: answered, their last record older than `cut` (ms),
 * and, where `groupOf` links them, every other transaction of their group so too.
 */
export function archivable(records: readonly JournalRecord[], cut: number, groupOf?: GroupOf): Set<string> {
  const answered = new Set<string>();
  const last = new Map<string, number>();
  for (const r of records) {
    if (r.t === 'answered') answered.add(r.msgid);
    last.set(r.msgid, Math.max(last.get(r.msgid) ?? -Infinity, Date.parse(r.at)));
  }
  const old = (msgid: string) => answered.has(msgid) && last.get(msgid)! < cut;
  const groups = groupOf?.(records) ?? new Map<string, string>();
  const held = new Set<string>();
  for (const msgid of last.keys()) {
    const group = groups.get(msgid);
    if (group !== undefined && !old(msgid)) held.add(group);
  }
  const out = new Set<string>();
  for (const msgid of last.keys()) {
    const group = groups.get(msgid);
    if (old(msgid) && (group === undefined || !held.has(group))) out.add(msgid);
  }
  return out;
}

export interface Journal {
  /** Every record read at opening, in order. */
  readonly records: readonly JournalRecord[];
  /** Appends a record; resolves once it is on disk. */
  append(record: JournalRecord): Promise<void>;
  close(): void;
}

/** The journal's sealing key: read from the state directory, or made there (mode 0600) on first start. */
export function journalKey(stateDir: string): Buffer {
  const file = path.join(stateDir, 'journal-key');
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`${file}: not a 32-byte key`);
  return key;
}

/** An ID number sealed for the record `msgid` (AES-256-GCM: iv ‖ ciphertext ‖ tag, base64url). */
export function sealId(key: Buffer, id: string, msgid: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(msgid));
  return Buffer.concat([iv, cipher.update(id, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64url');
}

/** The ID number of `sealId`; throws when the key, the record or the bytes are not those it was sealed with. */
export function unsealId(key: Buffer, sealed: string, msgid: string): string {
  const bytes = Buffer.from(sealed, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12)).setAAD(Buffer.from(msgid));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString('utf8');
}

/** Writes a file whole and flushes it, then renames it into place and flushes its directory. */
function replaceDurably(file: string, text: string): void {
  const temp = `${file}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  const fd = openSync(temp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(temp, file);
  const dir = openSync(path.dirname(file), 'r');
  fsyncSync(dir);
  closeSync(dir);
}

const lines = (records: readonly JournalRecord[]) => records.map((r) => `${JSON.stringify(r)}\n`).join('');

/**
 * Moves the transactions `archivable` selects to the archive; returns the records that stay, in
 * their order, and how many moved.
 */
function compact(file: string, records: JournalRecord[], before: Date, groupOf?: GroupOf): { kept: JournalRecord[]; archived: number } {
  const archiving = archivable(records, before.getTime(), groupOf);
  const moves = (r: JournalRecord) => archiving.has(r.msgid);
  const moving = records.filter(moves);
  if (moving.length === 0) return { kept: records, archived: 0 };
  const archiveDir = path.join(path.dirname(file), 'journal-archive');
  mkdirSync(archiveDir, { recursive: true, mode: 0o700 });
  const stamp = (at: string) => at.replace(/[:.]/g, '');
  const name = `${stamp(moving[0]!.at)}--${stamp(moving.at(-1)!.at)}.jsonl`;
  replaceDurably(path.join(archiveDir, name), lines(moving));
  const kept = records.filter((r) => !moves(r));
  replaceDurably(file, lines(kept));
  return { kept, archived: moving.length };
}

export interface JournalOptions {
  /** Transactions answered before this move to the archive at opening (none when absent). */
  archiveBefore?: Date;
  /** Transactions linked so (an encounter's) move together or not at all. */
  groupOf?: GroupOf;
}

export function openJournal(file: string, options: JournalOptions = {}): Journal & { archived: number } {
  let records: JournalRecord[] = [];
  let archived = 0;
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    const end = text.lastIndexOf('\n') + 1;
    for (const line of text.slice(0, end).split('\n')) {
      if (line.trim() === '') continue;
      records.push(JSON.parse(line) as JournalRecord);
    }
    if (end < Buffer.byteLength(text)) {
      // A torn last line: the process died while writing it. Its message was never sent.
      const fd = openSync(file, 'r+');
      ftruncateSync(fd, Buffer.byteLength(text.slice(0, end)));
      closeSync(fd);
    }
    if (options.archiveBefore) ({ kept: records, archived } = compact(file, records, options.archiveBefore, options.groupOf));
  }
  const fd = openSync(file, 'a', 0o600);
  let queue: { line: string; done: (error?: Error) => void }[] = [];
  let flushing = false;

  function flush(): void {
    if (flushing || queue.length === 0) return;
    flushing = true;
    const batch = queue;
    queue = [];
    try {
      writeSync(fd, batch.map((b) => b.line).join(''));
    } catch (error) {
      flushing = false;
      for (const b of batch) b.done(error as Error);
      return;
    }
    fdatasync(fd, (error) => {
      flushing = false;
      for (const b of batch) b.done(error ?? undefined);
      flush();
    });
  }

  return {
    records,
    archived,
    append(record) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ line: `${JSON.stringify(record)}\n`, done: (error) => (error ? reject(error) : resolve()) });
        flush();
      });
    },
    close() {
      closeSync(fd);
    },
  };
}
