/**
 * The wire format of C2SP tlog-witness `add-checkpoint` (https://c2sp.org/tlog-witness): the
 * request body is an `old <size>` line, up to 63 consistency proof lines (base64 hashes), an
 * empty line and the signed checkpoint; a 409 answers `<size>\n` as `text/x.tlog.size`; a 200
 * answers the witness's signature lines. Pure: both sides (witness-service.ts, witness-push.ts)
 * use it.
 */
import { HASH_SIZE } from '../../verify/merkle.ts';
import { decodeBase64, encodeBase64 } from '../../verify/tlog-bytes.ts';

export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';
export const MAX_PROOF_LINES = 63;
const DECIMAL = /^(0|[1-9]\d*)$/;

export interface AddCheckpointRequest {
  oldSize: number;
  proof: Uint8Array[];
  /** The signed checkpoint note, as sent. */
  note: string;
}

function parseSize(text: string): number | null {
  if (!DECIMAL.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

/** Parses a request body; null when it is not one (a 400). */
export function parseAddCheckpointBody(body: string): AddCheckpointRequest | null {
  const blank = body.indexOf('\n\n');
  if (blank < 0) return null;
  const lines = body.slice(0, blank).split('\n');
  const note = body.slice(blank + 2);
  const first = lines.shift()!;
  if (!first.startsWith('old ')) return null;
  const oldSize = parseSize(first.slice(4));
  if (oldSize === null || lines.length > MAX_PROOF_LINES) return null;
  const proof: Uint8Array[] = [];
  for (const line of lines) {
    const hash = decodeBase64(line);
    if (!hash || hash.length !== HASH_SIZE) return null;
    proof.push(hash);
  }
  return { oldSize, proof, note };
}

export function formatAddCheckpointBody(request: AddCheckpointRequest): string {
  return [`old ${request.oldSize}`, ...request.proof.map(encodeBase64)].join('\n') + '\n\n' + request.note;
}

/** The body of a 409: the size the witness last cosigned; null when malformed. */
export function parseTlogSize(body: string): number | null {
  return body.endsWith('\n') ? parseSize(body.slice(0, -1)) : null;
}
