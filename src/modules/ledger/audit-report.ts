import type { Db } from '../../db/database.ts';
import type { NoteVerifier } from '../../verify/signed-note.ts';
import type { TreeHasher } from './hashing.ts';

export type AuditProblemKind =
  | 'missing-entry'
  | 'entry-mismatch'
  | 'tile-missing'
  | 'tile-mismatch'
  | 'checkpoint-root'
  | 'checkpoint-signature'
  | 'entry-metadata'
  | 'head-behind';

export interface AuditProblem {
  kind: AuditProblemKind;
  /** The entry index (or first index of a run) the problem is at. */
  index?: number;
  /** Last index of a run of missing entries. */
  to?: number;
  size?: number;
  level?: number;
  message: string;
}

export interface AuditReport {
  ok: boolean;
  /** Entry rows read. */
  entries: number;
  /** The size of the latest signed checkpoint. */
  treeSize: number;
  checkpoints: number;
  problems: AuditProblem[];
  /** All problems, including those beyond the ones listed. */
  problemCount: number;
  millis: number;
}

export interface AuditDeps {
  db: Db;
  hasher: TreeHasher;
  logKey: NoteVerifier;
  origin: string;
  batchSize?: number;
  maxProblems?: number;
  /** Hashing threads (default: up to 4, one per core). */
  workers?: number;
  onProgress?: (done: number, total: number) => void;
}
