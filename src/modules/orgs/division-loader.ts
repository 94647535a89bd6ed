import { AppError } from '../../core/errors.ts';
import type { Db } from '../../db/database.ts';
import { LEVEL_SOURCES, csvRows, readDivisionCsv, toStatisticalCode, type DivisionLevel, type LevelSource } from './division-source.ts';
import { emptyDivisionColumns, upsertDivisions, type DivisionColumns } from './orgs.repository.ts';

/**
 * Which divisions to load. A prefix loads every division whose code starts with it plus the
 * ancestors above it ('130123' → 河北省, 石家庄市, 正定县 and all below 正定县).
 */
export type DivisionScope = 'hebei' | 'all' | { provinceCodes: string[] } | { prefix: string };

export interface LoadDivisionsOptions {
  scope: DivisionScope;
  /** Called after each batch with rows handled so far and rows in scope. */
  onProgress?: (done: number, total: number) => void;
  /** Rows per INSERT statement. */
  batchSize?: number;
  /** Batches in flight at once; more than one lets CSV parsing overlap the database's work. */
  concurrency?: number;
}

/** A row that could not be placed in the tree and was left out. */
export interface SkippedDivision {
  level: DivisionLevel;
  code: string;
  name: string;
  reason: 'malformed_code' | 'missing_parent' | 'duplicate';
}

export interface LoadDivisionsResult {
  /** Divisions in scope now present in the table, by level. */
  counts: Record<DivisionLevel, number>;
  /** Rows newly inserted and rows changed by this run (both 0 when reloading the same data). */
  inserted: number;
  updated: number;
  skipped: number;
  /** The first 100 skipped rows, for the report. */
  skippedSample: SkippedDivision[];
  elapsedMs: number;
}

const SKIPPED_SAMPLE_SIZE = 100;

/** Reads the bundled division list and upserts the rows in scope top-down, in batches. Idempotent. */
export async function loadDivisions(db: Db, options: LoadDivisionsOptions): Promise<LoadDivisionsResult> {
  const started = performance.now();
  const prefixes = scopePrefixes(options.scope);
  const inScope = (code: string): boolean => prefixes.some((p) => code.startsWith(p) || p.startsWith(code));
  const batchSize = options.batchSize ?? 5_000;
  const concurrency = Math.max(1, options.concurrency ?? 3);

  const texts = await Promise.all(LEVEL_SOURCES.map((source) => readDivisionCsv(source.level)));
  const total = texts.reduce((sum, text) => sum + countInScope(text, prefixes), 0);

  const counts: Record<DivisionLevel, number> = { province: 0, city: 0, county: 0, township: 0, village: 0 };
  const result: LoadDivisionsResult = { counts, inserted: 0, updated: 0, skipped: 0, skippedSample: [], elapsedMs: 0 };
  /** Placed divisions above village level: where their children hang. */
  const placed = new Map<string, { path: string; depth: number }>();
  const seen = new Set<string>();
  let done = 0;
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;

  const skip = (entry: SkippedDivision): void => {
    result.skipped++;
    if (result.skippedSample.length < SKIPPED_SAMPLE_SIZE) result.skippedSample.push(entry);
  };

  const flush = async (batch: DivisionColumns): Promise<void> => {
    const size = batch.code.length;
    if (size === 0) return;
    const tracked: Promise<void> = upsertDivisions(db, batch)
      .then((written) => {
        result.inserted += written.inserted;
        result.updated += written.updated;
        done += size;
        options.onProgress?.(done, total);
      })
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
    if (failure) throw failure.error;
  };
  const drain = async (): Promise<void> => {
    await Promise.all(inFlight);
    if (failure) throw failure.error;
  };

  for (const [index, source] of LEVEL_SOURCES.entries()) {
    let batch = emptyDivisionColumns();
    for (const row of csvRows(texts[index]!, inScope)) {
      const code = row.code ?? '';
      if (!inScope(code)) continue;
      const name = (row.name ?? '').trim();
      const parent = placeRow(source, row, code, name, placed, seen);
      if ('reason' in parent) {
        skip(parent);
        done++;
        continue;
      }
      seen.add(code);
      const path = parent.path === null ? code : `${parent.path}.${code}`;
      const depth = parent.depth + 1;
      if (source.level !== 'village') placed.set(code, { path, depth });
      counts[source.level]++;
      batch.code.push(code);
      batch.level.push(source.level);
      batch.name.push(name);
      batch.parentCode.push(parent.code);
      batch.path.push(path);
      batch.depth.push(depth);
      batch.divisionCode.push(toStatisticalCode(code));
      if (batch.code.length >= batchSize) {
        await flush(batch);
        batch = emptyDivisionColumns();
      }
    }
    await flush(batch);
    // Top-down: a level is complete in the table before the next one starts.
    await drain();
  }
  if (result.skipped > 0) options.onProgress?.(done, total);
  result.elapsedMs = performance.now() - started;
  return result;
}

type Placement = { code: string | null; path: string | null; depth: number } | SkippedDivision;

function placeRow(
  source: LevelSource,
  row: Record<string, string>,
  code: string,
  name: string,
  placed: ReadonlyMap<string, { path: string; depth: number }>,
  seen: ReadonlySet<string>,
): Placement {
  if (code.length !== source.codeLength || !/^\d+$/.test(code) || name === '') {
    return { level: source.level, code, name, reason: 'malformed_code' };
  }
  if (seen.has(code)) return { level: source.level, code, name, reason: 'duplicate' };
  if (source.parentColumns.length === 0) return { code: null, path: null, depth: -1 };
  for (const column of source.parentColumns) {
    const parentCode = row[column];
    const parent = parentCode ? placed.get(parentCode) : undefined;
    // A parent must also be a true prefix of the code, as every level's numbering nests.
    if (parent && parentCode && code.startsWith(parentCode)) return { code: parentCode, path: parent.path, depth: parent.depth };
  }
  return { level: source.level, code, name, reason: 'missing_parent' };
}

function scopePrefixes(scope: DivisionScope): string[] {
  if (scope === 'all') return [''];
  if (scope === 'hebei') return ['13'];
  if ('provinceCodes' in scope) {
    const bad = scope.provinceCodes.find((c) => !/^\d{2}$/.test(c));
    if (bad !== undefined || scope.provinceCodes.length === 0) throw new AppError('INVALID_DIVISION_CODE', { code: bad ?? '' });
    return scope.provinceCodes;
  }
  if (!/^\d{1,12}$/.test(scope.prefix)) throw new AppError('INVALID_DIVISION_CODE', { code: scope.prefix });
  return [scope.prefix];
}

/** Rows whose code is in scope, by a quick line scan (for progress only; codes are never quoted in the source). */
function countInScope(text: string, prefixes: readonly string[]): number {
  let count = 0;
  let lineStart = text.indexOf('\n') + 1; // skip the header
  while (lineStart > 0 && lineStart < text.length) {
    const comma = text.indexOf(',', lineStart);
    const nextLine = text.indexOf('\n', lineStart);
    if (comma > lineStart && (nextLine < 0 || comma < nextLine)) {
      const code = text.slice(lineStart, comma);
      if (prefixes.some((p) => code.startsWith(p) || p.startsWith(code))) count++;
    }
    lineStart = nextLine + 1;
  }
  return count;
}
