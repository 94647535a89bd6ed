import { AppError } from '../../core/errors.ts';
import type { IdentityContext } from './context.ts';
import { newSessionToken } from './crypto.ts';
import * as accountsRepo from './accounts.repository.ts';
import * as residentsRepo from './residents.repository.ts';
import * as sessionsRepo from './sessions.repository.ts';
import { maskResidentId, parseResidentId, residentIdProblemText } from './resident-id.ts';
import { SESSION_TTL_MS, type LoginResult } from './sessions.ts';
import { chinaToday, isUniqueViolation, normaliseResidentName, PHONE_PATTERN } from './validation.ts';

/**
 * A resident who proved who they are at the national hub (OpenID Connect, the oidc module). The
 * ID number is the one the hub verified under the real name; `issuer` and `subject` go to the audit.
 */
export interface FederatedLoginInput {
  residentId: string;
  name: string;
  /** The hub's verified mobile number, when it sent one; else the account has none here. */
  phone?: string | null;
  issuer: string;
  subject: string;
}

/**
 * Never a password hash: argon2 cannot parse it, so a password login to such an account always
 * fails (verifyPassword answers false). The resident logs in through the hub, or sets a password
 * nowhere here; staff are never created this way.
 */
const NO_LOCAL_PASSWORD = '!federated';

export function createFederatedLoginFunctions({ db, vault, clock, events }: IdentityContext) {
  /**
   * Finds the resident by the keyed hash of the ID number — as local registration keys it — or
   * registers them (encrypted ID, masked the same way, no local password). `via` goes to the audit.
   */
  async function ensureFederatedResident(
    input: Omit<FederatedLoginInput, 'issuer' | 'subject' | 'phone'> & { phone?: string | null; via: Record<string, string> },
  ) {
    const now = clock();
    const parsed = parseResidentId(input.residentId, chinaToday(now));
    if (!parsed.ok) throw new AppError('INVALID_RESIDENT_ID', { reason: residentIdProblemText(parsed.problem) });
    const { id, addressCode, birthDate, gender } = parsed.value;
    const name = normaliseResidentName(input.name);
    const hash = vault.lookupHash(id);
    const via = input.via;

    let found = await residentsRepo.getResident(db, { hash });
    if (!found) {
      const residentIdMasked = maskResidentId(id);
      const phone = input.phone && PHONE_PATTERN.test(input.phone.trim()) ? input.phone.trim() : '';
      try {
        await db.transaction(async (tx) => {
          await residentsRepo.claimMasterKey(tx, vault.keyFingerprint);
          const accountId = await accountsRepo.insertAccount(tx, {
            kind: 'resident',
            name,
            passwordHash: NO_LOCAL_PASSWORD,
            createdAt: now,
          });
          await residentsRepo.insertResident(tx, {
            accountId,
            residentIdCipher: vault.encrypt(id),
            residentIdHash: hash,
            residentIdMasked,
            keyFingerprint: vault.keyFingerprint,
            phone,
            birthDate,
            gender,
            addressCode,
            homeOrgCode: null,
          });
          await accountsRepo.insertAudit(tx, [
            {
              accountId,
              actorId: accountId,
              action: 'resident.registered',
              detail: { residentIdMasked, homeOrgCode: null, ...via },
              at: now,
            },
          ]);
          await events?.enqueue(tx, { topic: 'resident.registered', payload: { accountId, homeOrgCode: null } });
        });
      } catch (error) {
        // A second login at the same moment registered them first: theirs is the account.
        if (!isUniqueViolation(error)) throw error;
      }
      found = await residentsRepo.getResident(db, { hash });
      if (!found) throw new Error('the federated resident vanished after registration');
    }
    return found;
  }

  /** A resident the hub vouched for: found or registered (above), then a web session of this node. */
  async function loginFederated(input: FederatedLoginInput): Promise<LoginResult> {
    const now = clock();
    const via = { via: 'oidc', issuer: input.issuer, subject: input.subject };
    const found = await ensureFederatedResident({ residentId: input.residentId, name: input.name, phone: input.phone ?? null, via });
    if (found.status === 'disabled') throw new AppError('ACCOUNT_DISABLED');

    const accountId = found.accountId;
    const { token, tokenHash } = newSessionToken();
    const expiresAt = new Date(now.getTime() + SESSION_TTL_MS.web);
    await db.transaction(async (tx) => {
      await sessionsRepo.insertSession(tx, { tokenHash, accountId, channel: 'web', createdAt: now, expiresAt });
      await accountsRepo.insertAudit(tx, [
        { accountId, actorId: accountId, action: 'login.succeeded', detail: { channel: 'web', ...via }, at: now },
      ]);
    });
    return {
      token,
      expiresAt: expiresAt.toISOString(),
      account: { id: accountId, kind: 'resident', name: found.name, residentIdMasked: found.residentIdMasked, roles: [], capabilities: {} },
    };
  }

  /**
   * A cross-province case's applicant, as the signed message of another member node names them
   * (their ID number and name): found under this node's own master key, or registered the way an
   * OIDC login registers a resident of another province. A disabled account is no applicant.
   */
  async function ensureResidentFromPeer(input: {
    residentId: string;
    name: string;
    peer: string;
  }): Promise<{ accountId: string; name: string; residentIdMasked: string }> {
    const found = await ensureFederatedResident({
      residentId: input.residentId,
      name: input.name,
      via: { via: 'federation', peer: input.peer },
    });
    if (found.status === 'disabled') throw new AppError('ACCOUNT_DISABLED');
    return { accountId: found.accountId, name: found.name, residentIdMasked: found.residentIdMasked };
  }

  return { loginFederated, ensureResidentFromPeer };
}
