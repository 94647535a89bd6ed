/**
 * 跨省异地就医: the place of treatment's copy of a person insured in another province (issue 16,
 * service 4). At A, a 1101 (or the window's look-up) for an ID number A does not hold asks the node
 * of the place of insurance, in one signed synchronous call `insurance.person` carrying the ID number
 * and its masked form (as `insurance.presettle` does): B keys it under B's own key and answers the
 * person's name, gender, birth date, scheme, status, region and masked ID (never the account, never
 * B's person number). A registers or refreshes its copy under its own key, with no account, and
 * records the call, in one transaction. B does not insure the person: INSURANCE_NOT_INSURED, nothing
 * written on either side. B unreachable: INSURANCE_REMOTE_UNAVAILABLE (503), nothing written at A.
 * No node of B's province in the federation directory: INSURANCE_REGION_NOT_FEDERATED (404, final:
 * a retry does not help), nothing asked or written. A standalone node, or a person of this node's
 * own province, is not asked for.
 *
 * A copy once held is asked for again at 1101 when B last answered for it longer ago than
 * COPY_FRESH_FOR_MS (`refresh`): B's answer replaces the name, gender, birth date, scheme, region
 * and status (B sends no account: the copy has none), in one transaction with the call's row. B
 * unreachable then (or its province no longer in the directory), 1101 answers from the copy, with
 * a warning (`warn_msg`, `warn_msg_en`) saying so. The hospital window's look-up (window.ts) refreshes
 * its copies the same way.
 *
 * While a province's node cannot be reached, `refresh` backs off: after its call failed
 * (INSURANCE_REMOTE_UNAVAILABLE), a stale copy of that province's person is answered from the copy,
 * with the same warning, at once, without waiting for another failed call, for BACKOFF_FIRST_MS,
 * doubled at each further failure of `refresh` up to BACKOFF_MAX_MS; any answer from the province
 * to `fetch` (a refusal included) ends it. Only `refresh`, which has the copy to fall back on, backs
 * off: `fetch` of a person not held here, and the settlement calls, still ask (and their failures
 * do not lengthen it).
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../../core/errors.ts';
import { message, type Bilingual } from '../../core/messages.ts';
import type { Tx } from '../../db/database.ts';
import { maskResidentId } from '../identity/index.ts';
import { askPlaceOfInsurance, insuredHere } from './cross-province.ts';
import { chinaDay, type InsuranceContext } from './insurance-context.ts';
import type { InsuredStatus } from './insurance.tables.ts';
import { createInsuranceRegistry } from './persons.ts';
import type { Scheme } from './policies.ts';

const PERSON_TYPE = 'insurance.person';
/**
 * How long a copy answers 1101 without asking the place of insurance again: ten minutes, so that a
 * patient's visit (1101, then 2001 and the stay's transactions) asks B about once, while a
 * suspension or a change of scheme at B shows in A's 1101 ten minutes later at most.
 */
export const COPY_FRESH_FOR_MS = 10 * 60_000;
/** The first back-off after a province's node could not be reached (doubled at each further failure, up to BACKOFF_MAX_MS). */
export const BACKOFF_FIRST_MS = 30_000;
export const BACKOFF_MAX_MS = 5 * 60_000;
const SCHEMES: ReadonlySet<string> = new Set<Scheme>(['employee', 'resident']);
const STATUSES: ReadonlySet<string> = new Set<InsuredStatus>(['active', 'suspended', 'ended']);

/** A verified federation message as a handler sees it (its payload only is read here). */
interface Message {
  payload: Record<string, unknown>;
}

export function createRemotePersons(ctx: InsuranceContext) {
  const { db, deps, clock } = ctx;
  const port = deps.federation;
  const registry = createInsuranceRegistry(ctx);
  /**
   * The provinces (two-digit prefix) whose node could not be reached lately: the failures in a row and
   * the time until which `refresh` does not ask again. Kept in this process's memory only: each
   * process (each worker of `serve --workers N`) learns it by one failed call of its own, and a
   * restart forgets it, which costs no more than one more failed call.
   */
  const unreachable = new Map<string, { failures: number; until: number }>();

  /** The province's node answered: its back-off, if any, ends. */
  const reached = (place: string) => unreachable.delete(place.slice(0, 2));

  /** `refresh` could not reach the province's node: it is not asked again for BACKOFF_FIRST_MS, doubled at each failure in a row. */
  function backOff(place: string): void {
    const province = place.slice(0, 2);
    const failures = (unreachable.get(province)?.failures ?? 0) + 1;
    const wait = Math.min(BACKOFF_FIRST_MS * 2 ** (failures - 1), BACKOFF_MAX_MS);
    unreachable.set(province, { failures, until: clock().getTime() + wait });
  }

  const backingOff = (place: string) => (unreachable.get(place.slice(0, 2))?.until ?? 0) > clock().getTime();

  /** At B: the person the ID number names here, as 1101 shows them (no account, no person number). */
  const personType = {
    type: PERSON_TYPE,
    async apply(tx: Tx, message: Message): Promise<Record<string, unknown>> {
      const p = await insuredHere(tx, deps, message.payload, false);
      return {
        name: p.name,
        gender: p.gender,
        birth_date: p.birthDate,
        scheme: p.scheme,
        status: p.status,
        region: p.region,
        id_masked: p.idMasked,
      };
    },
  };

  /** The division whose province insures the person: the envelope's when it is another province's, else the ID number's own. */
  function placeOf(id: string, insuplc: string | null): string | null {
    const own = port?.province() ?? null;
    if (own === null) return null;
    if (insuplc !== null && insuplc.slice(0, 2) !== own) return insuplc;
    const home = id.slice(0, 2);
    return home === own ? null : `${home}0000`;
  }

  /**
   * At A: fetches the person from the place of insurance and registers this node's copy; null when
   * there is nobody to ask (a standalone node, or the person would be insured in this province).
   * `id` is the normalised ID number (never logged, never answered).
   */
  async function fetch(id: string, insuplc: string | null): Promise<string | null> {
    const place = placeOf(id, insuplc);
    if (place === null) return null;
    const idMasked = maskResidentId(id);
    let reply: Awaited<ReturnType<typeof askPlaceOfInsurance>>;
    try {
      reply = await askPlaceOfInsurance(port, place, PERSON_TYPE, randomUUID(), {
        mdtrt_cert_type: '02',
        mdtrt_cert_no: id,
        id_masked: idMasked,
      });
    } catch (error) {
      // A refusal is an answer: the node is reached. (No answer lengthens the back-off in `refresh` only.)
      if (error instanceof AppError && !['INSURANCE_REMOTE_UNAVAILABLE', 'INSURANCE_REGION_NOT_FEDERATED'].includes(error.code))
        reached(place);
      throw error;
    }
    reached(place);
    const r = reply.result;
    const text = (name: string, pattern: RegExp) => {
      const v = r[name];
      if (typeof v !== 'string' || !pattern.test(v))
        throw new AppError('FEDERATION_PEER_REFUSED', { member: place, code: `ANSWER_FIELD_${name.toUpperCase()}` });
      return v;
    };
    const name = text('name', /^.{1,50}$/u);
    const gender = text('gender', /^[12]$/) as '1' | '2';
    const birthDate = text('birth_date', /^\d{4}-\d{2}-\d{2}$/);
    const scheme = text('scheme', /^[a-z]+$/);
    const status = text('status', /^[a-z]+$/);
    const region = text('region', /^\d{6}$/);
    const answeredMask = text('id_masked', /^.{1,40}$/);
    if (!SCHEMES.has(scheme) || !STATUSES.has(status) || region.slice(0, 2) !== place.slice(0, 2) || answeredMask !== idMasked)
      throw new AppError('FEDERATION_PEER_REFUSED', { member: place, code: 'ANSWER_DOES_NOT_MATCH_THE_PERSON' });
    return db.transaction(async (tx) => {
      const psnNo = await registry.registerCopy(tx, {
        subjectKey: deps.subjectKeyOf(id),
        idMasked,
        name,
        gender,
        birthDate,
        scheme: scheme as Scheme,
        region,
        status: status as InsuredStatus,
        fromDate: chinaDay(clock()),
      });
      await reply.record(tx);
      return psnNo;
    });
  }

  /**
   * At A, for 1101 on a person held here: a copy of another province's person that B has not
   * confirmed within COPY_FRESH_FOR_MS is fetched again and refreshed (`fetch`). 'held': nothing
   * asked (the person is this province's, or the copy is fresh); 'refreshed': B answered and the copy
   * is as B answered; a warning: B could not be asked, the copy stands as it was, to be answered
   * with the warning. B's refusal (it no longer insures the person, or its answer does not match)
   * is thrown, nothing written. While the province's node is backed off, nobody is asked and the
   * warning is answered at once.
   */
  async function refresh(id: string, held: { region: string; confirmedAt: Date | null }): Promise<'held' | 'refreshed' | Bilingual> {
    const own = port?.province() ?? null;
    if (own === null || held.region.slice(0, 2) === own) return 'held';
    const confirmed = held.confirmedAt;
    if (confirmed && clock().getTime() - confirmed.getTime() < COPY_FRESH_FOR_MS) return 'held';
    const when = confirmed
      ? message('insurance.copy.confirmedAt', { at: confirmed.toISOString() })
      : message('insurance.copy.neverConfirmed');
    const unreachableWarning = () => message('insurance.copy.unreachable', { region: held.region, when });
    if (backingOff(held.region)) return unreachableWarning();
    try {
      await fetch(id, held.region);
      return 'refreshed';
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (error.code === 'INSURANCE_REMOTE_UNAVAILABLE') {
        backOff(held.region);
        return unreachableWarning();
      }
      if (error.code === 'INSURANCE_REGION_NOT_FEDERATED') return message('insurance.copy.notFederated', { region: held.region, when });
      throw error;
    }
  }

  return { personType, fetch, refresh };
}

export type RemotePersons = ReturnType<typeof createRemotePersons>;
