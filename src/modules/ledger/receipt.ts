import { decodeBase64, encodeBase64 } from '../../verify/tlog-bytes.ts';

/**
 * A signed promise of inclusion, as Certificate Transparency's SCT: the log states that the entry
 * with this id, kind and leaf hash was queued at a time and will be sequenced by a deadline (the
 * maximum merge delay). It is a C2SP signed note by the log's key, whose text can never be read as
 * a checkpoint (its second line is not a tree size):
 *
 *     <origin>
 *     receipt <entry id>
 *     <kind>
 *     <base64 leaf hash>
 *     queued <Unix ms>
 *     promised <Unix ms>
 */
export interface ReceiptBody {
  origin: string;
  id: number;
  kind: string;
  leafHash: Uint8Array;
  queuedAt: Date;
  promisedBy: Date;
}

export function formatReceipt(r: ReceiptBody): string {
  return (
    [
      r.origin,
      `receipt ${r.id}`,
      r.kind,
      encodeBase64(r.leafHash),
      `queued ${r.queuedAt.getTime()}`,
      `promised ${r.promisedBy.getTime()}`,
    ].join('\n') + '\n'
  );
}

export function parseReceipt(text: string): ReceiptBody | null {
  const m =
    /^([^\s]+)\nreceipt (0|[1-9]\d{0,17})\n([a-z][a-z0-9_.-]{0,63})\n([A-Za-z0-9+/=]{44})\nqueued (\d{1,15})\npromised (\d{1,15})\n$/.exec(
      text,
    );
  if (!m) return null;
  const leafHash = decodeBase64(m[4]!);
  if (!leafHash || leafHash.length !== 32) return null;
  return { origin: m[1]!, id: Number(m[2]), kind: m[3]!, leafHash, queuedAt: new Date(Number(m[5])), promisedBy: new Date(Number(m[6])) };
}
