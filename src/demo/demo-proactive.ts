import { sql } from 'drizzle-orm';
import { openDatabase } from '../db/database.ts';
import { BENEFIT_DEFS, CHILDCARE_SUBSIDY, DEATH_REGISTRATION, seedBenefits } from '../modules/benefits/index.ts';
import { makeResidentId, systemPrincipal, type Principal } from '../modules/identity/index.ts';
import { seedInstantApprovals } from '../modules/instant/index.ts';
import { seedRules } from '../modules/rules/index.ts';
import { prepareBundleDemo } from './demo-bundle.ts';
import { DEMO_PASSWORD, DEMO_VILLAGE } from './demo-people.ts';

const REGISTER = 'ps.household_register';
const ADDRESS = '河北省石家庄市正定县正定镇塔元庄村';

/** What `yiban demo proactive --json` prints. */
export interface ProactiveReport {
  applicationsFiled: number;
  grants: {
    benefitCode: string;
    mode: string;
    status: string;
    amountFen: number | null;
    ruleVersion: number;
    ruleHash: string;
    trace: { inputs: { name: string; dataset: string; field: string; digest: string | null }[]; failed: { id: string; zh: string }[] };
    caseId: string | null;
    payments: { period: string; amountFen: number; status: string }[];
  }[];
  paymentsSent: number;
  duplicatePayments: number;
  retriedTriggers: number;
  instantApprovals: { serviceCode: string; caseId: string; state: string; seconds: number }[];
  stoppedAtDeath: { benefitCode: string; status: string; paymentsAfterDeath: number }[];
  takeUp: Record<string, number | null>;
  figures: unknown[];
}

const daysAgo = (days: number) => `${new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10)}T08:30:00+08:00`;

/**
 * Issue 13's demo on a fresh embedded database: a birth through the birth bundle (maternity
 * reimbursement granted, the maternity allowance processed, the childcare subsidy offered and
 * confirmed, none applied for), an 80th birthday found by the daily sweep, an instant residence
 * proof, every trigger delivered again (no second grant or payment), and a death registration
 * that stops the allowance.
 */
export async function runDemoProactive(): Promise<ProactiveReport> {
  const database = await openDatabase({ engine: 'pglite', memory: true });
  try {
    await database.migrate();
    const { services, newMother } = await prepareBundleDemo(database);
    const departments: Record<string, string> = {};
    for (const d of (
      await database.db.execute<{ code: string; kind: string }>(
        sql`select code, department_kind as kind from orgs where department_kind is not null`,
      )
    ).rows)
      departments[d.kind] ??= d.code;
    await seedRules(database.db, services.ledger, { civilAffairsOrgCode: departments.civil_affairs! });
    await seedInstantApprovals(services);
    await seedBenefits(database.db, services, departments);
    const count = async (query: ReturnType<typeof sql>) => Number((await database.db.execute<{ n: number }>(query)).rows[0]!.n);

    // 1. A birth: 王芳 gave birth ten days ago; she starts the birth bundle, and applies for nothing else.
    const mother = await newMother(1);
    const motherId = (await services.identity.revealResidentId(mother.accountId))!;
    const [birth] = (
      await database.db.execute<{ data: Record<string, string> }>(
        sql`select data from sharing_records where dataset_code = 'health.birth_record' and subject_key = ${services.sharingAdmin.subjectKeyOf(motherId)}`,
      )
    ).rows;
    await services.sharingAdmin.upsertRecords('health.birth_record', [
      { residentId: motherId, data: { ...birth!.data, birthTime: daysAgo(10) } },
    ]);
    await services.bundles.start(mother, { bundle: 'birth', form: {}, consent: true }, 'demo-proactive-birth');
    await services.events.drain();
    const offer = (await services.benefits.mine(mother)).find((g) => g.benefitCode === CHILDCARE_SUBSIDY && g.status === 'offered');
    if (offer) await services.benefits.confirm(mother, offer.id);

    // 2. An 80th birthday today: 赵德顺, registered in the household register, with an account; and 孙桂兰, 85, with none.
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    const eightieth = `${Number(today.slice(0, 4)) - 80}${today.slice(4)}`;
    const elder = makeResidentId('130123', eightieth, 801);
    const elderPhone = '13831100801';
    await services.identity.registerResident({
      name: '赵德顺',
      residentId: elder,
      phone: elderPhone,
      password: DEMO_PASSWORD,
      homeOrgCode: DEMO_VILLAGE,
    });
    const older = makeResidentId('130123', `${Number(today.slice(0, 4)) - 85}-03-15`, 812);
    await services.sharingAdmin.upsertRecords(REGISTER, [
      { residentId: elder, data: { name: '赵德顺', gender: '男', birthDate: eightieth, address: ADDRESS } },
      {
        residentId: older,
        data: { name: '孙桂兰', gender: '女', birthDate: `${Number(today.slice(0, 4)) - 85}-03-15`, address: ADDRESS },
      },
    ]);
    await services.benefits.runDue();
    await services.events.drain();

    // 3. 秒批: a residence proof decided from the register as soon as it is submitted.
    const applicant = await login(services, elderPhone);
    const started = performance.now();
    const { case: proof } = await services.applications.submit(applicant, {
      serviceCode: 'cert.residence',
      form: { address: ADDRESS, residentSince: '1990-05-01', purpose: 'school' },
    });
    await services.events.drain();
    const seconds = (performance.now() - started) / 1000;
    const proofState = (await services.applications.getCase(applicant, proof.id)).state;

    // 4. Every trigger again, as from a worker that died after its work, and the daily run twice.
    const assess = services.events.handlers().find((h) => h.name === 'benefits.assess')!;
    const issued = (
      await database.db.execute<{ id: number; payload: Record<string, unknown>; created_at: string }>(
        sql`select id, payload, created_at from outbox where topic = 'certificate.issued'`,
      )
    ).rows;
    for (const row of issued)
      await assess.handle(
        { id: Number(row.id), topic: 'certificate.issued', payload: row.payload, attempts: 2, createdAt: new Date(row.created_at) },
        { markHandled: async () => undefined },
      );
    await services.benefits.runDue();
    await services.benefits.runDue();
    await services.events.drain();

    // 5. 赵德顺's son registers his death: the allowance stops; next month's run pays nothing.
    const son = await newMother(2);
    const { case: death } = await services.applications.submit(son, {
      serviceCode: DEATH_REGISTRATION,
      form: { deceasedName: '赵德顺', deceasedResidentId: elder, deathDate: today },
    });
    const police = await officerAt(services, departments.public_security!);
    await services.applications.act(police, death.id, 'accept');
    await services.applications.act(police, death.id, 'approve', '死亡登记');
    await services.events.drain();
    await services.benefits.runDue(new Date(Date.now() + 32 * 86_400_000));
    await services.events.drain();
    const elderKey = services.sharingAdmin.subjectKeyOf(elder);
    const stopped = (
      await database.db.execute<{ benefit_code: string; status: string; after: number }>(sql`
      select g.benefit_code, g.status,
             (select count(*)::int from benefit_payments p where p.grant_id = g.id and p.created_at > g.stopped_at and p.status <> 'cancelled') as after
        from benefit_grants g where g.subject_key = ${elderKey}`)
    ).rows;

    // The figures each paying department sees.
    const figures = [];
    for (const kind of ['medical_security', 'health', 'civil_affairs']) {
      const org = (await services.orgs.getOrg(departments[kind]!))!;
      figures.push(
        ...(await services.benefits.figures(
          systemPrincipal({ actor: 'demo:figures', at: { orgCode: org.code, orgPath: org.path, actions: ['benefit.view'] } }),
        )),
      );
    }
    const grants = (
      await database.db.execute<{
        id: string;
        benefit_code: string;
        status: string;
        amount_fen: number | null;
        rule_version: number;
        rule_hash: string;
        trace: ProactiveReport['grants'][number]['trace'];
        case_id: string | null;
      }>(
        sql`select id, benefit_code, status, amount_fen::int as amount_fen, rule_version, rule_hash, trace, case_id from benefit_grants order by decided_at, id`,
      )
    ).rows;
    const payments = (
      await database.db.execute<{ grant_id: string; period: string; amount_fen: number; status: string }>(
        sql`select grant_id, period, amount_fen::int as amount_fen, status from benefit_payments order by created_at`,
      )
    ).rows;
    const modes = new Map(BENEFIT_DEFS.map((d) => [d.code, d.mode]));
    const benefitItems = BENEFIT_DEFS.map((d) => d.serviceCode).filter((c): c is string => c !== null);
    return {
      // Cases of the benefits' own items that a resident submitted themselves (the system opens 免申即办 cases).
      applicationsFiled: await count(sql`
        select count(*)::int as n from cases c join case_events e on e.case_id = c.id and e.action = 'submit'
         where c.service_code in (${sql.join(
           benefitItems.map((c) => sql`${c}`),
           sql`, `,
         )}) and e.actor_id = c.applicant_id`),
      grants: grants.map((g) => ({
        benefitCode: g.benefit_code,
        mode: modes.get(g.benefit_code) ?? '',
        status: g.status,
        amountFen: g.amount_fen,
        ruleVersion: g.rule_version,
        ruleHash: g.rule_hash,
        trace: { inputs: g.trace.inputs, failed: g.trace.failed.map((f) => ({ id: f.id, zh: f.zh })) },
        caseId: g.case_id,
        payments: payments.filter((p) => p.grant_id === g.id).map((p) => ({ period: p.period, amountFen: p.amount_fen, status: p.status })),
      })),
      paymentsSent: payments.filter((p) => p.status === 'sent').length,
      duplicatePayments: await count(sql`
        select count(*)::int as n from (select grant_id, period from benefit_payments where status = 'sent' group by grant_id, period having count(*) > 1) d`),
      retriedTriggers: issued.length,
      instantApprovals: [{ serviceCode: 'cert.residence', caseId: proof.id, state: proofState, seconds: Number(seconds.toFixed(3)) }],
      stoppedAtDeath: stopped.map((s) => ({ benefitCode: s.benefit_code, status: s.status, paymentsAfterDeath: s.after })),
      takeUp: Object.fromEntries(figures.map((f) => [f.benefitCode, f.takeUp])),
      figures,
    };
  } finally {
    await database.close();
  }
}

async function login(services: Awaited<ReturnType<typeof prepareBundleDemo>>['services'], phone: string): Promise<Principal> {
  const { token } = await services.identity.login({ kind: 'resident', residentIdOrPhone: phone, password: DEMO_PASSWORD, channel: 'app' });
  const principal = await services.identity.authenticate(token);
  if (!principal) throw new Error('demo login failed');
  return principal;
}

/** A police officer who handles the death registration (a person decides it; the benefits react). */
async function officerAt(services: Awaited<ReturnType<typeof prepareBundleDemo>>['services'], orgCode: string): Promise<Principal> {
  await services.identityAdmin.ensureStaff({
    username: 'demo-police',
    name: '户籍民警',
    password: DEMO_PASSWORD,
    roles: [{ role: 'department_officer', orgCode }],
  });
  const { token } = await services.identity.login({ kind: 'staff', username: 'demo-police', password: DEMO_PASSWORD, channel: 'web' });
  const principal = await services.identity.authenticate(token);
  if (!principal) throw new Error('demo login failed');
  return principal;
}
