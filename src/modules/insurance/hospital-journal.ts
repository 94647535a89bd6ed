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
 * Resident ID numbers never go into it: person information (1101) is a read and is not journaled;
 * the rest name people by their insurance number (psn_no) only.
 *
 * It does not grow for ever: at opening, transactions answered before the retention (both their
 * records older than the cut-off) move to an archive file of their own (`journal-archive/`, named
 * by the first and last record's time, so a compaction cut short and run again writes the same
 * file), and the journal is rewritten with the rest (a new file flushed, then renamed over it).
 * Unanswered transactions always stay, whatever their age: they are still being sent.
 */
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
  at: string;
}

interface AnsweredRecord {
  t: 'answered';
  msgid: string;
  /** HTTP status of the answer (200, or the refusal's). */
  status: number;
  answer: Answer;
  at: string;
}

type JournalRecord = SentRecord | AnsweredRecord;

export interface Journal {
  /** Every record read at opening, in order. */
  readonly records: readonly JournalRecord[];
  /** Appends a record; resolves once it is on disk. */
  append(record: JournalRecord): Promise<void>;
  close(): void;
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
 * Moves the transactions answered before `before` (both records older) to the archive; returns
 * the records that stay, in their order, and how many moved.
 */
function compact(file: string, records: JournalRecord[], before: Date): { kept: JournalRecord[]; archived: number } {
  const cut = before.getTime();
  // A transaction moves when it was answered and its last record is older than the cut-off.
  const answered = new Set<string>();
  const last = new Map<string, number>();
  for (const r of records) {
    if (r.t === 'answered') answered.add(r.msgid);
    last.set(r.msgid, Math.max(last.get(r.msgid) ?? -Infinity, Date.parse(r.at)));
  }
  const moves = (r: JournalRecord) => answered.has(r.msgid) && last.get(r.msgid)! < cut;
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
    if (options.archiveBefore) ({ kept: records, archived } = compact(file, records, options.archiveBefore));
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
