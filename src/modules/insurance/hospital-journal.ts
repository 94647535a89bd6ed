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
 */
import { closeSync, existsSync, fdatasync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
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

export function openJournal(file: string): Journal {
  const records: JournalRecord[] = [];
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
