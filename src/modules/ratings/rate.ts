import { randomBytes, randomUUID } from 'node:crypto';
import { AppError, notFound } from '../../core/errors.ts';
import { chinaDate, hasUnsafeText } from '../../core/values.ts';
import type { Executor } from '../../db/database.ts';
import { actsForAnOrg, can, requireResidentScope, type Principal } from '../identity/index.ts';
import { rectificationDeadline } from './deadlines.ts';
import { countedSql, ratedCounts } from './counted.ts';
import { appendRatingLeaf, encodeRatingLeaf, newRaterSalt, RATING_LEAF_KIND, raterDigest } from './leaf.ts';
import { indicatorNames, indicatorSetOf, isBad, LEVELS, channelOfSession } from './levels.ts';
import { conflict, invalid, notFoundOf, TEXT } from './messages.ts';
import { RECTIFICATION_OPENED_TOPIC, type RatingsContext } from './ratings-context.ts';
import * as repo from './ratings.repository.ts';
import type { EncounterChannel, RatingChannel } from './ratings.tables.ts';

/** What a resident gives: a level, the channel's sub-indicators they score, a comment. */
export interface RatingInput {
  level: number;
  indicators?: Record<string, number> | undefined;
  comment?: string | undefined;
}

export interface EncounterInput {
  orgCode: string;
  channel: EncounterChannel;
  /** The service item; taken from the case when `caseId` is given. */
  serviceCode?: string | undefined;
  /** The case handled in the encounter (its applicant is then the named rater). */
  caseId?: string | undefined;
}

const FINAL_STATES = ['completed', 'rejected'];
const DAY_MS = 86_400_000;
/** Crockford's base32 without the look-alikes: a token read aloud or typed from a slip is read right. */
const TOKEN_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
const TOKEN_LENGTH = 12;

function newEncounterToken(): string {
  const bytes = randomBytes(TOKEN_LENGTH);
  return Array.from(bytes, (b) => TOKEN_ALPHABET[b % TOKEN_ALPHABET.length]).join('');
}

/** Rating: a completed case of one's own (一事一评) or an encounter by its token (一次一评), once each; a bad one opens its rectification. */
export function createRateFunctions(ctx: RatingsContext) {
  const { db, deps, clock } = ctx;

  function checkInput(input: RatingInput, servedThrough: string): void {
    if (!Number.isInteger(input.level) || LEVELS[input.level] === undefined) throw invalid('评价等级应为 1–5', 'the level must be 1 to 5');
    const allowed = indicatorNames(indicatorSetOf(servedThrough));
    for (const [name, score] of Object.entries(input.indicators ?? {})) {
      if (!allowed.includes(name))
        throw invalid(`该渠道没有评价指标“${name}”`, `this channel has no indicator "${name}" (it has ${allowed.join(', ')})`);
      if (!Number.isInteger(score) || score < 1 || score > 5) throw invalid('指标评分应为 1–5', 'an indicator score must be 1 to 5');
    }
    if (input.comment !== undefined && hasUnsafeText(input.comment, { freeText: true }))
      throw invalid('评价内容含有控制字符', 'the comment contains a control character');
  }

  /** Writes the rating with its leaf, and for a bad rating its rectification task, notices and event, in one transaction. */
  async function record(
    tx: Executor,
    input: RatingInput & {
      subject: { caseId: string } | { encounterId: string };
      channel: RatingChannel;
      accountId: string | null;
      org: { code: string; path: string; name: string };
      service: { code: string; nameZh: string; nameEn: string };
      /** The error when it was rated already (made only then: an error captures a stack). */
      already: () => AppError;
    },
  ) {
    const now = clock();
    const id = randomUUID();
    const raterSalt = newRaterSalt();
    const leaf = encodeRatingLeaf(
      {
        event: 'rated',
        rating: id,
        org: input.org.code,
        service: input.service.code,
        subject: 'caseId' in input.subject ? 'case' : 'encounter',
        level: input.level,
        channel: input.channel,
        realName: input.accountId !== null,
        rater: input.accountId === null ? null : raterDigest(raterSalt, input.accountId),
      },
      now,
    );
    const row = {
      id,
      caseId: 'caseId' in input.subject ? input.subject.caseId : null,
      encounterId: 'encounterId' in input.subject ? input.subject.encounterId : null,
      channel: input.channel,
      level: input.level,
      indicators: input.indicators ?? {},
      comment: input.comment?.trim() || null,
      accountId: input.accountId,
      raterSalt,
      orgCode: input.org.code,
      orgPath: input.org.path,
      serviceCode: input.service.code,
      ratedAt: now,
    };
    // The row, its count change and its leaf in one statement: none of them when the case or encounter was rated already.
    const [entry] = await deps.ledger.appendWithStatement<{ id: string | number }>(
      tx,
      { kind: RATING_LEAF_KIND, data: leaf },
      repo.ratingStatement(countedSql(14, 15)),
      [...repo.ratingInsertValues(row), chinaDate(now), JSON.stringify(ratedCounts(row))],
    );
    const rating = entry ? { ...row, ledgerEntryId: Number(entry.id) } : null;
    if (!rating) throw input.already();
    if (!isBad(rating.level)) return { rating, task: undefined };

    const { workingDays, deadline } = await rectificationDeadline(tx, {
      orgPath: input.org.path,
      at: now,
      fallbackDays: ctx.defaultRectifyWorkingDays,
    });
    const task = await repo.insertRectification(tx, {
      id: randomUUID(),
      ratingId: id,
      orgCode: input.org.code,
      orgPath: input.org.path,
      workingDays,
      openedAt: now,
      deadline,
      state: 'open',
    });
    await appendRatingLeaf(
      deps.ledger,
      tx,
      {
        event: 'rectification.opened',
        rating: id,
        org: input.org.code,
        service: input.service.code,
        rectification: task.id,
        workingDays,
        deadline,
      },
      now,
    );
    // Staff have no inbox: the org's notice is this event in the outbox (the console and a later notifier read it).
    await deps.events.enqueue(tx, {
      topic: RECTIFICATION_OPENED_TOPIC,
      payload: { rectificationId: task.id, ratingId: id, orgCode: input.org.code, deadline },
    });
    if (deps.notices && input.accountId) {
      await deps.notices.notifyInTx(tx, {
        accountId: input.accountId,
        key: `rating.rectification:${task.id}`,
        kind: 'rating.rectification',
        titleZh: '您的差评已转交整改',
        titleEn: 'Your rating has been passed on for rectification',
        bodyZh: `您对“${input.service.nameZh}”的评价已收到。${input.org.name}将在 ${deadline} 前整改并答复，并会回访您；之后请您对整改结果再次评价。`,
        bodyEn: `We received your rating of “${input.service.nameEn}”. ${input.org.name} will rectify and answer by ${deadline}, and will call you back; then please rate the rectification.`,
        link: '/ratings',
        data: { ratingId: id, rectificationId: task.id, deadline },
      });
    }
    return { rating, task };
  }

  /** A good rating is one statement (the row, its count change and its leaf); a bad one also opens its task, all in one transaction. */
  function recordRating(input: Parameters<typeof record>[1]) {
    return isBad(input.level) ? db.transaction((tx) => record(tx, input)) : record(db, input);
  }

  async function orgOf(code: string) {
    const org = await deps.orgs.byCode(code);
    if (!org) throw notFound('org');
    return org;
  }

  return {
    /** 一事一评: the applicant (or their helper) rates a completed case of theirs, once, within the rating period after completion. */
    async rateCase(principal: Principal, caseId: string, input: RatingInput) {
      const accountId = requireResidentScope(principal, 'applications.submit');
      // Read as the caller: someone else's case is a 404, as everywhere.
      const kase = await deps.applications.getCase(principal, caseId);
      if (kase.applicantId !== accountId) throw notFound('case');
      if (!FINAL_STATES.includes(kase.state)) throw new AppError('INVALID_STATE', { state: kase.stateLabel, action: TEXT.rateAction });
      const completedAt = kase.completedAt ?? kase.decidedAt;
      if (completedAt && clock().getTime() > Date.parse(completedAt) + ctx.ratingPeriodDays * DAY_MS)
        throw conflict(
          `评价期已过（办结后 ${ctx.ratingPeriodDays} 日内可评价）`,
          `the rating period has ended (${ctx.ratingPeriodDays} days after completion)`,
        );
      checkInput(input, kase.channel);
      if (await repo.ratingOfCase(db, caseId)) throw new AppError('ALREADY_EXISTS', { what: TEXT.caseRating });
      const org = await orgOf(kase.orgCode);
      const recorded = await recordRating({
        ...input,
        subject: { caseId },
        channel: channelOfSession(principal),
        accountId,
        org,
        service: { code: kase.serviceCode, nameZh: kase.serviceName.zh, nameEn: kase.serviceName.en },
        already: () => new AppError('ALREADY_EXISTS', { what: TEXT.caseRating }),
      });
      return recorded;
    },

    /** Staff who served someone at a window, a kiosk or as a helper open the encounter's rating: a short token for the pad page or an SMS link. */
    async openEncounter(principal: Principal, input: EncounterInput) {
      const org = await deps.orgs.byCode(input.orgCode);
      if (!org) throw notFound('org');
      // A helper holds no staff action: they open a helper encounter while acting for the resident they helped
      // (who is then the named rater), at the org where they are a helper. Windows and kiosks: the org's staff.
      const helped =
        input.channel === 'helper' && principal.actingFor && principal.roles.some((g) => g.role === 'helper' && g.orgCode === org.code)
          ? principal.actingFor.residentId
          : null;
      if (!helped && (input.channel === 'helper' || !can(principal, 'rating.manage', { orgPath: org.path }))) throw notFound('org');
      const kase = input.caseId ? await deps.applications.getCase(principal, input.caseId) : null;
      if (kase && helped && kase.applicantId !== helped) throw notFound('case');
      const serviceCode = kase?.serviceCode ?? input.serviceCode;
      if (!serviceCode) throw invalid('请指明事项或办件', 'name the service item or the case');
      const item = await deps.catalog.getItem(serviceCode);
      if (!item) throw notFound('service');
      const now = clock();
      const encounter = await db.transaction(async (tx) => {
        const row = await repo.insertEncounter(tx, {
          token: newEncounterToken(),
          channel: input.channel,
          orgCode: org.code,
          orgPath: org.path,
          serviceCode,
          accountId: helped ?? kase?.applicantId ?? null,
          caseId: kase?.id ?? null,
          openedBy: principal.accountId,
          openedAt: now,
          expiresAt: new Date(now.getTime() + ctx.ratingPeriodDays * DAY_MS),
        });
        if (deps.notices && row.accountId) {
          await deps.notices.notifyInTx(tx, {
            accountId: row.accountId,
            key: `rating.encounter:${row.id}`,
            kind: 'rating.invitation',
            titleZh: '请为本次服务评价',
            titleEn: 'Please rate the service you received',
            bodyZh: `您在${org.name}办理了“${item.nameZh}”，欢迎评价（${ctx.ratingPeriodDays} 日内有效）。`,
            bodyEn: `You were served at ${org.name} for “${item.nameEn}”; please rate it (within ${ctx.ratingPeriodDays} days).`,
            link: `/rate/${row.token}`,
            sms: true,
          });
        }
        return row;
      });
      return encounter;
    },

    /** What the pad page or the SMS link shows before rating: the org, the service, the sub-indicators (no personal data). */
    async encounterInfo(token: string) {
      const encounter = await repo.encounterByToken(db, token);
      if (!encounter) throw notFoundOf(TEXT.encounter);
      return { encounter, rated: (await repo.ratingOfEncounter(db, encounter.id)) !== undefined };
    },

    /**
     * 一次一评 by token, once: from the pad page at the window (no login: the resident served is the
     * rater) or an SMS link (`via: 'sms'`). A logged-in resident rates as themself, and only an
     * encounter that is theirs or names no one.
     */
    async rateEncounter(principal: Principal | null, token: string, input: RatingInput & { via: 'pad' | 'sms' }) {
      const encounter = await repo.encounterByToken(db, token);
      if (!encounter) throw notFoundOf(TEXT.encounter);
      let accountId = encounter.accountId;
      if (principal) {
        if (actsForAnOrg(principal)) throw new AppError('FORBIDDEN');
        const caller = requireResidentScope(principal, 'applications.submit');
        if (encounter.accountId && encounter.accountId !== caller) throw notFoundOf(TEXT.encounter);
        accountId = caller;
      }
      if (clock() > encounter.expiresAt)
        throw conflict(
          `评价期已过（服务后 ${ctx.ratingPeriodDays} 日内可评价）`,
          `the rating period has ended (${ctx.ratingPeriodDays} days after the service)`,
        );
      checkInput(input, encounter.channel);
      const [org, item] = await Promise.all([orgOf(encounter.orgCode), deps.catalog.getItem(encounter.serviceCode)]);
      const recorded = await recordRating({
        ...input,
        subject: { encounterId: encounter.id },
        channel: input.via === 'sms' ? 'sms' : encounter.channel,
        accountId,
        org,
        service: {
          code: encounter.serviceCode,
          nameZh: item?.nameZh ?? encounter.serviceCode,
          nameEn: item?.nameEn ?? encounter.serviceCode,
        },
        already: () => new AppError('ALREADY_EXISTS', { what: TEXT.encounterRating }),
      });
      return recorded;
    },
  };
}
