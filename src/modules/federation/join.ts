import { AppError } from '../../core/errors.ts';
import { parseCertificate } from '../../verify/x509.ts';
import { SignatureError, signRequest, sm2VerifyingKey, verifyRequest } from '../sharing/index.ts';
import type { Directory, JoinRequest } from './directory.ts';
import { keyValidAt } from './documents.ts';
import { HUB_TIMEOUT_MS, WINDOW_SECONDS } from './federation-context.ts';
import type { ReceiveInput } from './messages.ts';
import { federated, keyGenerations, newKeyGeneration, nodeKey, parseMemberId } from './node-identity.ts';
import type { MemberKey } from './federation.tables.ts';
import type { FederationContext } from './federation-context.ts';

const JOIN_PATH = '/api/federation/members';
const KEY_CHANGE_PATH = '/api/federation/members/key-change';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string' && s.length <= 200) && v.length <= 500;

function keyProblem(k: unknown): string | null {
  if (
    !isRecord(k) ||
    typeof k.keyId !== 'string' ||
    k.keyId.length > 100 ||
    k.alg !== 'sm2-sm3' ||
    typeof k.publicKeySpki !== 'string' ||
    k.publicKeySpki.length > 400
  )
    return 'a key is malformed';
  if (
    typeof k.notBefore !== 'string' ||
    typeof k.notAfter !== 'string' ||
    Number.isNaN(Date.parse(k.notBefore)) ||
    Number.isNaN(Date.parse(k.notAfter))
  )
    return 'a key has no validity';
  return null;
}

function joinProblem(x: unknown): string | null {
  if (!isRecord(x)) return 'the body is not a JSON object';
  if (typeof x.memberId !== 'string' || !parseMemberId(x.memberId)) return 'memberId is CN/GOV/<division code>/<subsystem>';
  if (parseMemberId(x.memberId)!.divisionCode === '000000') return 'the division code 000000 is the hub’s';
  if (typeof x.name !== 'string' || x.name.trim() === '' || x.name.length > 100) return 'name is required';
  if (typeof x.endpoint !== 'string' || !/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(x.endpoint)) return 'endpoint is an http(s) URL';
  if (!Array.isArray(x.keys) || x.keys.length === 0 || x.keys.length > 4) return 'keys: one to four';
  for (const k of x.keys as unknown[]) {
    const problem = keyProblem(k);
    if (problem) return problem;
  }
  if (!strings(x.services) || !strings(x.datasets)) return 'services and datasets are lists of codes';
  if (typeof x.rootCertificate !== 'string' || !parseCertificate(x.rootCertificate).ok) return 'rootCertificate is a PEM certificate';
  if (!isRecord(x.statusSigners)) return 'statusSigners is an object';
  if (x.ledger !== undefined) {
    const vkey = (v: unknown) => typeof v === 'string' && v.length < 300 && /^[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$/.test(v);
    if (!isRecord(x.ledger) || !vkey(x.ledger.logVkey) || !vkey(x.ledger.witnessVkey)) return 'ledger: logVkey and witnessVkey are vkeys';
  }
  return null;
}

/** Checks a join request: well formed, and signed (RFC 9421, sm2-sm3) by one of the keys it names (possession of the key). */
export async function verifyJoin(input: ReceiveInput, now: Date): Promise<{ request: JoinRequest; signedBy: string }> {
  let body: unknown;
  try {
    body = JSON.parse(input.body);
  } catch {
    throw new AppError('MALFORMED_JSON');
  }
  const problem = joinProblem(body);
  if (problem) throw new AppError('FEDERATION_BAD_MESSAGE', { detail: problem });
  const request = body as JoinRequest;
  let signedBy: string;
  try {
    ({ keyid: signedBy } = await verifyRequest(
      { method: 'POST', url: input.url, headers: input.headers, body: input.body },
      {
        keyFor: (keyId) => {
          const key = request.keys.find((k) => k.keyId === keyId);
          return key && keyValidAt(key, now) ? sm2VerifyingKey(new Uint8Array(Buffer.from(key.publicKeySpki, 'base64'))) : null;
        },
        now,
        windowSeconds: WINDOW_SECONDS,
        skewSeconds: WINDOW_SECONDS,
      },
    ));
  } catch (error) {
    throw new AppError('FEDERATION_SIGNATURE_INVALID', { reason: error instanceof SignatureError ? error.reason : 'SIGNATURE_MALFORMED' });
  }
  return { request, signedBy };
}

/** A province asks the hub to join: pins the hub's key, then posts its request signed with its own key. */
export async function requestJoin(ctx: FederationContext, directory: Directory, options: { expectedHubKeyId?: string } = {}) {
  const hub = await directory.pinHub(options.expectedHubKeyId);
  if (ctx.config.role !== 'province') throw new AppError('FEDERATION_DISABLED', { role: ctx.config.role });
  const request = await directory.joinRequest();
  const body = JSON.stringify(request);
  const url = `${ctx.config.hubUrl}${JOIN_PATH}`;
  const key = await nodeKey(ctx);
  const signed = await signRequest(key.signer, { url, body, idempotencyKey: `join-${request.memberId}`, now: ctx.clock(), ttlSeconds: 60 });
  let response: Response;
  try {
    response = await ctx.fetch(url, { method: 'POST', headers: signed.headers, body, signal: AbortSignal.timeout(HUB_TIMEOUT_MS) });
  } catch (error) {
    throw new AppError('FEDERATION_HUB_UNAVAILABLE', { reason: (error as Error).message });
  }
  const answer = (await response.json()) as { memberId?: string; status?: string; error?: { code: string; message: string } };
  if (!response.ok) throw new AppError('FEDERATION_HUB_UNAVAILABLE', { reason: `HTTP ${response.status} ${answer.error?.message ?? ''}` });
  return {
    hub: { memberId: hub.memberId, keyId: hub.key.keyId },
    memberId: request.memberId,
    status: answer.status ?? 'unknown',
    keyId: key.signer.keyId,
  };
}

/** What a member asks the hub with to roll its message key: signed by a key on file, naming the new one. */
export interface KeyChangeRequest {
  memberId: string;
  key: MemberKey;
}

/**
 * Checks a key change request: well formed, and signed (RFC 9421, sm2-sm3) by one of the keys the
 * hub has on file for the member, valid now (`keysOnFile`: the approved member's keys, or none).
 */
export async function verifyKeyChange(
  input: ReceiveInput,
  now: Date,
  keysOnFile: (memberId: string) => Promise<MemberKey[]>,
): Promise<{ request: KeyChangeRequest; signedBy: string }> {
  let body: unknown;
  try {
    body = JSON.parse(input.body);
  } catch {
    throw new AppError('MALFORMED_JSON');
  }
  if (!isRecord(body) || typeof body.memberId !== 'string' || !parseMemberId(body.memberId))
    throw new AppError('FEDERATION_BAD_MESSAGE', { detail: 'memberId is CN/GOV/<division code>/<subsystem>' });
  const problem = keyProblem(body.key) ?? (Object.keys(body).sort().join(',') === 'key,memberId' ? null : 'exactly memberId and key');
  if (problem) throw new AppError('FEDERATION_BAD_MESSAGE', { detail: problem });
  const request = body as unknown as KeyChangeRequest;
  const keys = await keysOnFile(request.memberId);
  if (keys.length === 0) throw new AppError('FEDERATION_UNKNOWN_MEMBER', { member: request.memberId });
  try {
    const { keyid } = await verifyRequest(
      { method: 'POST', url: input.url, headers: input.headers, body: input.body },
      {
        keyFor: (keyId) => {
          const key = keys.find((k) => k.keyId === keyId);
          return key && keyValidAt(key, now) ? sm2VerifyingKey(new Uint8Array(Buffer.from(key.publicKeySpki, 'base64'))) : null;
        },
        now,
        windowSeconds: WINDOW_SECONDS,
        skewSeconds: WINDOW_SECONDS,
      },
    );
    return { request, signedBy: keyid };
  } catch (error) {
    throw new AppError('FEDERATION_SIGNATURE_INVALID', { reason: error instanceof SignatureError ? error.reason : 'SIGNATURE_MALFORMED' });
  }
}

/**
 * `yiban federation rotate-key` (a province): a new key generation (or the one still waiting), and
 * a change request naming it, signed by the key in use (the old one). The node goes on signing with
 * the old key until its copy of the directory lists the new one (after the hub operator approves).
 */
export async function requestKeyChange(ctx: FederationContext) {
  const config = federated(ctx.config);
  if (config.role !== 'province') throw new AppError('FEDERATION_DISABLED', { role: config.role });
  const current = await nodeKey(ctx);
  const generations = await keyGenerations(ctx);
  const newest = generations.at(-1)!;
  const next =
    newest.keyId === current.signer.keyId
      ? await newKeyGeneration(ctx, generations.length + 1)
      : await newKeyGeneration(ctx, generations.length);
  const request: KeyChangeRequest = { memberId: config.memberId, key: next.published };
  const body = JSON.stringify(request);
  const url = `${config.hubUrl}${KEY_CHANGE_PATH}`;
  const signed = await signRequest(current.signer, {
    url,
    body,
    idempotencyKey: `key-${next.published.keyId}`,
    now: ctx.clock(),
    ttlSeconds: 60,
  });
  let response: Response;
  try {
    response = await ctx.fetch(url, { method: 'POST', headers: signed.headers, body, signal: AbortSignal.timeout(HUB_TIMEOUT_MS) });
  } catch (error) {
    throw new AppError('FEDERATION_HUB_UNAVAILABLE', { reason: (error as Error).message });
  }
  const answer = (await response.json()) as { status?: string; error?: { code: string; message: string } };
  if (!response.ok) throw new AppError('FEDERATION_HUB_UNAVAILABLE', { reason: `HTTP ${response.status} ${answer.error?.message ?? ''}` });
  return { memberId: config.memberId, oldKeyId: current.signer.keyId, newKeyId: next.published.keyId, status: answer.status ?? 'unknown' };
}
