import { createHash, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * PGlite does not stop two processes from opening one data folder, and two would corrupt it.
 * A lock file holding the owner's pid makes the second open fail with a clear message; a lock
 * left by a process that no longer runs (killed with -9) is taken over.
 *
 * Two processes may find the same stale lock at once. Removing it and creating a new one are two
 * steps, so a slow one could remove the lock the fast one has just taken, and both would run. So:
 * - a lock is created whole or not at all (written to a private file, then hard-linked to its
 *   name, which fails if the name exists), and carries a random token besides the pid, so that
 *   each lock is told apart from the next one even when the pid is the same;
 * - the right to remove one particular stale lock is itself a lock, named after that lock's
 *   content (`yiban.lock.break-<digest>`): of all the processes that saw it, one holds the
 *   right, checks the lock still has that content (nobody else may remove it meanwhile: its
 *   owner is dead and the others do not hold the right), removes it, then competes like everyone
 *   else to create the new one. A process that saw it late finds other content and leaves it be.
 * A breaker killed while holding that right leaves a stale `break-` lock, taken over the same way.
 */
export interface LockOptions {
  /** The owner written into the lock (this process). */
  pid?: number;
  /** Whether a pid runs; a lock whose owner does not is stale. */
  isAlive?: (pid: number) => boolean;
  /** For tests: runs after a stale lock was read and before it is taken over. */
  beforeTakeover?: (stalePid: number | null) => void;
}

const MAX_ATTEMPTS = 200;
const MAX_DEPTH = 8;

/**
 * The locks this process holds, released by one exit handler: a process that opens data folders
 * again and again (the federation demo opens each node's several times) adds no listener per open.
 */
const held = new Set<() => void>();
let exitHandler = false;

export function lockDataDir(dataDir: string, options: LockOptions = {}): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'yiban.lock');
  const pid = options.pid ?? process.pid;
  try {
    const acquired = acquire(file, { pid, isAlive: options.isAlive ?? isAlive, beforeTakeover: options.beforeTakeover }, 0);
    const release = () => {
      held.delete(release);
      acquired();
    };
    held.add(release);
    if (!exitHandler) {
      exitHandler = true;
      process.once('exit', () => {
        for (const r of [...held]) r();
      });
    }
    return release;
  } catch (error) {
    if (error instanceof HeldError) throw new DataDirLockedError(dataDir, error.owner);
    throw error;
  }
}

interface Contender {
  pid: number;
  isAlive: (pid: number) => boolean;
  beforeTakeover: ((stalePid: number | null) => void) | undefined;
}

class HeldError extends Error {
  constructor(readonly owner: number) {
    super(`held by pid ${owner}`);
  }
}

/** Takes the lock `file` or throws HeldError; returns its release, which removes only our own lock. */
function acquire(file: string, me: Contender, depth: number): () => void {
  if (depth > MAX_DEPTH) throw new Error(`could not lock ${file}: too many stale takeover locks (${file}.break-*); remove them`);
  const content = `${me.pid} ${randomBytes(12).toString('hex')}\n`;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (createWhole(file, content, me.pid)) {
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (readIfExists(file) === content) rmSync(file, { force: true });
      };
    }
    const seen = readIfExists(file);
    if (seen === null) continue; // released meanwhile: try again
    const owner = ownerOf(seen);
    // A live owner, this process included, keeps the lock; a dead one (or none: a lock written by
    // an older version that died before writing its pid) left it stale.
    if (owner !== null && me.isAlive(owner)) throw new HeldError(owner);
    me.beforeTakeover?.(owner);
    let releaseRight: () => void;
    try {
      releaseRight = acquire(`${file}.break-${createHash('sha256').update(seen).digest('hex').slice(0, 16)}`, me, depth + 1);
    } catch (error) {
      // Another live process is removing this very lock: it takes a moment; look again.
      if (error instanceof HeldError) {
        pause(5);
        continue;
      }
      throw error;
    }
    try {
      if (readIfExists(file) === seen) unlinkSync(file);
    } finally {
      releaseRight();
    }
  }
  throw new Error(`could not lock ${file}`);
}

/** Creates `file` with `content` if it does not exist, in one step: no one ever reads it half written. */
function createWhole(file: string, content: string, pid: number): boolean {
  const temp = `${file}.${pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temp, content, { flag: 'wx' });
  try {
    linkSync(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(temp, { force: true });
  }
}

function readIfExists(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function ownerOf(content: string): number | null {
  const pid = Number(content.trim().split(/\s+/)[0]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function pause(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

export class DataDirLockedError extends Error {
  constructor(dataDir: string, pid: number) {
    super(
      `数据目录 ${dataDir} 正被另一个 Yiban 进程（pid ${pid}）使用。\n` +
        `The data folder ${dataDir} is in use by another Yiban process (pid ${pid}). ` +
        `Stop it first, or set YIBAN_DATA_DIR to another folder, or use DATABASE_URL for several processes.`,
    );
    this.name = 'DataDirLockedError';
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
