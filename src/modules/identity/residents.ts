import { AppError, notFound } from '../../core/errors.ts';
import { requireVillage, type IdentityContext } from './context.ts';
import { hashPassword } from './crypto.ts';
import { checkPasswordPolicy } from './password-policy.ts';
import * as accountsRepo from './accounts.repository.ts';
import * as residentsRepo from './residents.repository.ts';
import * as sessionsRepo from './sessions.repository.ts';
import type { Principal } from './principal.ts';
import { maskResidentId, parseResidentId, residentIdProblemText } from './resident-id.ts';
import { chinaToday, isUniqueViolation, isUuid, maskPhone, normalisePhone, normaliseResidentName } from './validation.ts';
import { message } from '../../core/messages.ts';

export interface RegisterResidentInput {
  name: string;
  residentId: string;
  phone: string;
  password: string;
  homeOrgCode?: string | null;
}

export interface Warning {
  code: 'ADDRESS_CODE_NOT_CURRENT';
  zh: string;
  en: string;
}

export interface RegisterResidentResult {
  accountId: string;
  name: string;
  residentIdMasked: string;
  warnings: Warning[];
}

export interface ResidentSummary {
  accountId: string;
  name: string;
  residentIdMasked: string;
  homeOrgCode: string | null;
}

export interface ResidentProfile {
  kind: 'resident';
  accountId: string;
  name: string;
  residentIdMasked: string;
  phoneMasked: string;
  birthDate: string;
  gender: 'male' | 'female';
  homeOrg: { code: string; name: string } | null;
}

export function createResidentFunctions({ db, vault, orgs, clock, sessionCache, events }: IdentityContext) {
  async function registerResident(input: RegisterResidentInput): Promise<RegisterResidentResult> {
    const now = clock();
    const name = normaliseResidentName(input.name);
    const parsed = parseResidentId(input.residentId, chinaToday(now));
    if (!parsed.ok) throw new AppError('INVALID_RESIDENT_ID', { reason: residentIdProblemText(parsed.problem) });
    const phone = normalisePhone(input.phone);
    checkPasswordPolicy(input.password, [name, phone, parsed.value.id, parsed.value.birthDate.replaceAll('-', '')]);
    const homeOrgCode = input.homeOrgCode ? (await requireVillage(orgs, input.homeOrgCode)).code : null;

    const { id, addressCode, birthDate, gender } = parsed.value;
    const hash = vault.lookupHash(id);
    // Answer a plain duplicate before spending a password hash; the unique index settles races.
    if (await residentsRepo.residentHashExists(db, hash)) throw new AppError('ALREADY_REGISTERED');
    const warnings: Warning[] = (await orgs.divisionExists(addressCode))
      ? []
      : [{ code: 'ADDRESS_CODE_NOT_CURRENT', ...message('identity.residentId.addressCodeNotCurrent', { addressCode }) }];
    const passwordHash = await hashPassword(input.password);
    const residentIdMasked = maskResidentId(id);

    let accountId: string;
    try {
      accountId = await db.transaction(async (tx) => {
        // A new database takes this key's fingerprint; under another key's, the resident's
        // reference to it fails and nothing is written.
        await residentsRepo.claimMasterKey(tx, vault.keyFingerprint);
        const newId = await accountsRepo.insertAccount(tx, { kind: 'resident', name, passwordHash, createdAt: now });
        await residentsRepo.insertResident(tx, {
          accountId: newId,
          residentIdCipher: vault.encrypt(id),
          residentIdHash: hash,
          residentIdMasked,
          keyFingerprint: vault.keyFingerprint,
          phone,
          birthDate,
          gender,
          addressCode,
          homeOrgCode,
        });
        await accountsRepo.insertAudit(tx, [
          { accountId: newId, actorId: newId, action: 'resident.registered', detail: { residentIdMasked, homeOrgCode }, at: now },
        ]);
        await events?.enqueue(tx, { topic: 'resident.registered', payload: { accountId: newId, homeOrgCode } });
        return newId;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('ALREADY_REGISTERED');
      throw error;
    }
    return { accountId, name, residentIdMasked, warnings };
  }

  async function getResidentProfile(accountId: string): Promise<ResidentProfile> {
    const row = await residentsRepo.getResident(db, { accountId });
    if (!row) throw notFound('account');
    const org = row.homeOrgCode ? await orgs.getOrg(row.homeOrgCode) : null;
    return {
      kind: 'resident',
      accountId: row.accountId,
      name: row.name,
      residentIdMasked: row.residentIdMasked,
      phoneMasked: maskPhone(row.phone),
      birthDate: row.birthDate,
      gender: row.gender,
      homeOrg: row.homeOrgCode ? { code: row.homeOrgCode, name: org?.name ?? row.homeOrgCode } : null,
    };
  }

  async function setHomeOrg(principal: Principal, orgCode: string): Promise<ResidentProfile> {
    if (principal.kind !== 'resident') throw new AppError('FORBIDDEN');
    const org = await requireVillage(orgs, orgCode);
    const now = clock();
    await db.transaction(async (tx) => {
      const before = (await residentsRepo.getResident(tx, { accountId: principal.accountId }))?.homeOrgCode ?? null;
      await residentsRepo.setHomeOrg(tx, principal.accountId, org.code);
      // Others react to a move (a benefit tied to where one lives): with the change, or not at all.
      if (before !== org.code)
        await events?.enqueue(tx, { topic: 'resident.moved', payload: { accountId: principal.accountId, from: before, to: org.code } });
      await accountsRepo.insertAudit(tx, [
        {
          accountId: principal.accountId,
          actorId: principal.accountId,
          action: 'resident.home_org_set',
          detail: { orgCode: org.code },
          at: now,
        },
      ]);
      await sessionsRepo.announceSessionChange(tx, { account: principal.accountId });
    });
    // Sessions carry the home (Principal.homeOrgCode), which routes new cases.
    sessionCache.dropAccount(principal.accountId);
    return getResidentProfile(principal.accountId);
  }

  function toSummary(row: Awaited<ReturnType<typeof residentsRepo.getResident>>): ResidentSummary | null {
    return row ? { accountId: row.accountId, name: row.name, residentIdMasked: row.residentIdMasked, homeOrgCode: row.homeOrgCode } : null;
  }

  return {
    registerResident,
    getResidentProfile,
    setHomeOrg,

    getResidentSummary: async (accountId: string): Promise<ResidentSummary | null> => {
      if (!isUuid(accountId)) return null;
      return toSummary(await residentsRepo.getResident(db, { accountId }));
    },

    findResidentByResidentId: async (residentId: string): Promise<ResidentSummary | null> => {
      const parsed = parseResidentId(residentId, chinaToday(clock()));
      if (!parsed.ok) return null;
      return toSummary(await residentsRepo.getResident(db, { hash: vault.lookupHash(parsed.value.id) }));
    },

    /** The keyed hash of a valid ID number (what a federated node sends instead of the number), or null. */
    residentKey: (residentId: string): string | null => {
      const parsed = parseResidentId(residentId, chinaToday(clock()));
      return parsed.ok ? vault.lookupHash(parsed.value.id) : null;
    },

    /** The resident whose ID number has this keyed hash (a cross-province hand-over's applicant). */
    findResidentByKey: async (key: string): Promise<ResidentSummary | null> =>
      /^[0-9a-f]{64}$/.test(key) ? toSummary(await residentsRepo.getResident(db, { hash: key })) : null,

    residentPhone: async (accountId: string): Promise<string | null> => {
      if (!isUuid(accountId)) return null;
      return (await residentsRepo.getResident(db, { accountId }))?.phone ?? null;
    },

    /** The clear ID number, for the few places that must print it (certificate issuance). Never log it. */
    revealResidentId: async (accountId: string): Promise<string | null> => {
      if (!isUuid(accountId)) return null;
      const cipher = await residentsRepo.getResidentCipher(db, accountId);
      return cipher === null ? null : vault.decrypt(cipher);
    },

    /** Summary and clear ID number of many residents in one query, for batch issuance only. Never log them. */
    revealHolders: async (
      accountIds: readonly string[],
    ): Promise<Map<string, { name: string; residentIdMasked: string; residentId: string }>> => {
      const rows = await residentsRepo.getHolders(db, accountIds.filter(isUuid));
      return new Map(
        rows.map((r) => [r.accountId, { name: r.name, residentIdMasked: r.residentIdMasked, residentId: vault.decrypt(r.cipher) }]),
      );
    },
  };
}
