import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { formatCheckpoint } from '../verify/checkpoint.ts';
import { hashLeaf } from '../verify/merkle.ts';
import { cosignatureSigner, ed25519Signer, signNote } from '../verify/signed-note.ts';
import { statusEvidenceFromCredentials, type StatusListCredential } from '../verify/status-credential.ts';
import { verifyCertificate, type TrustAnchors } from '../verify/verify-certificate.ts';
import type { CertificateBundle } from '../verify/bundle.ts';
import { parsePayload } from '../verify/document.ts';
import { openSignedDocument } from '../verify/signed-document.ts';
import type { DirectoryDocument } from '../modules/federation/index.ts';
import { DEMO_PASSWORD } from './demo-people.ts';
import { messageFigures, readNodeRecords, type MessageFigures, type NodeRecords } from './federation-accounting.ts';
import { signedPost, testMember } from './federation-member.ts';
import {
  seedPlaceOfInsurance,
  seedPlaceOfTreatment,
  settleAtTheWindow,
  settlementReport,
  type CrossProvinceSettlement,
  type WindowSettlement,
} from './federation-insurance.ts';
import { approveMembers, deliverQueued, GUANGXI, HEBEI, HUB_ID, seedProvince, type DemoProvince } from './federation-seed.ts';
import { kill, nodeSpec, start, stop, stopAll, until, type NodeSpec } from './node-processes.ts';

/** The member whose message key and log key the demo holds: it shows Hebei and Guangxi two histories. */
const FORKER = 'CN/GOV/310000/demo';
/** Witnessing, reporting and gossip every second (5 s in service), so that the split view is found in seconds. */
const WITNESS_EVERY = { YIBAN_FEDERATION_WITNESS_MS: '1000' };
const STEP_TIMEOUT_MS = 240_000;

/** One cross-province service as `yiban demo federation --json` prints it. */
interface CrossProvinceCase {
  /**
   * 异地代收代办 (a window's hand-over), 全程网办 (a resident's online application), 跨省调证 (evidence
   * across provinces), 跨省异地就医结算 (insurance: `from` the place of treatment, `to` the place of insurance).
   */
  service: 'handover' | 'online' | 'evidence' | 'insurance';
  label: string;
  /** The node that started it (the window's, the applicant's home node, the case's node asking for evidence, the hospital's). */
  from: string;
  /** The node that handles it (decides the case, provides the evidence). */
  to: string;
  serviceCode: string;
  /** Evidence only: the certificate type asked for. */
  evidenceType?: string;
  applicantMasked: string;
  /** The message that started it: case.handover, case.apply-online, evidence.request or (insurance) the insurance.settle call. */
  messageId: string;
  /** The states the starting node showed, in order, while the demo polled it. */
  observedAtSender: string[];
  /**
   * Each node's row in federation_cases or federation_evidence (and the node's own case), read from
   * its database at the end.
   */
  states: Record<string, { side: string; state: string; decision: string | null; caseId: string | null; caseState?: string }>;
  /** 全程网办: the certificate Guangxi issued, in the Hebei wallet (GET /api/federation/certificates), its seal checked at Hebei. */
  certificate?: { identifier: string; inWallet: boolean; verdictAtHome: string; checks: Record<string, string> };
  /** Evidence: what the resident previewed before consenting (verified at the requesting node). */
  preview?: { verdict: string; issuerName: string; typeName: string; attachedToCase: boolean };
}

/** What `yiban demo federation --json` prints. */
export interface FederationReport {
  dataDir: string;
  nodes: { name: string; memberId: string; role: 'hub' | 'province'; url: string; pids: number[] }[];
  plantedMember: { memberId: string; role: 'planted split view (keys held by the demo, no process)' };
  crossProvinceCases: CrossProvinceCase[];
  /** 跨省异地就医结算: settled at a Hebei hospital's window under the Guangxi policy, read back on both nodes. */
  crossProvinceSettlement: CrossProvinceSettlement;
  certificate: {
    issuedBy: string;
    verifiedAt: string;
    identifier: string;
    /** Guangxi's POST /api/verify: its own anchors plus the national trust list (status is Hebei's to tell). */
    atGuangxi: { verdict: string; checks: Record<string, string> };
    /** Offline: the anchors Guangxi publishes (GET /api/trust), Hebei's status lists and Hebei's log key from the hub's directory. */
    offline: { verdict: string; checks: Record<string, string> };
  };
  certificateVerifiedElsewhere: boolean;
  restart: { node: string; messageId: string; failedAttemptsWhileDown: number; lastError: string | null; deliveredAfterRestart: boolean };
  messages: MessageFigures['perNode'];
  duplicatesApplied: number;
  duplicates: MessageFigures['duplicates'];
  lost: number;
  pendingAtSender: number;
  /** Messages to the hub the provinces queued as they shut down, delivered from their outboxes before the hub stopped. */
  deliveredAfterStop: number;
  splitViewDetected: boolean;
  splitView: { member: string; hubEvidence: string | null; findingsAt: string[] };
  steps: { name: string; seconds: number }[];
  wallSeconds: number;
  loadAverage: number[];
}

interface Ctx {
  dir: string;
  hub: NodeSpec;
  hebei: NodeSpec;
  guangxi: NodeSpec;
  pids: Map<string, number[]>;
  forker: ReturnType<typeof testMember>;
  log: ReturnType<typeof ed25519Signer>;
  /** `senderId`: the starting node's row (federation_cases or, for evidence, federation_evidence). */
  cases: (Omit<CrossProvinceCase, 'states'> & { senderId: string })[];
  report: Partial<FederationReport>;
  /** The insurance step's window answers (read back against both databases at the end). */
  settlement?: WindowSettlement;
}

interface Step {
  name: string;
  run(ctx: Ctx): Promise<void>;
}

const json = async <T>(response: Response, what: string): Promise<T> => {
  const text = await response.text();
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
};

async function login(node: NodeSpec, body: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${node.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-auth-mode': 'bearer' },
    body: JSON.stringify({ ...body, password: DEMO_PASSWORD, channel: 'web' }),
  });
  return (await json<{ token: string }>(response, `login at ${node.name}`)).token;
}

const staffToken = (node: NodeSpec, p: DemoProvince) => login(node, { kind: 'staff', username: p.clerk });
const residentToken = (node: NodeSpec, residentId: string) => login(node, { kind: 'resident', residentIdOrPhone: residentId });

async function call<T>(
  node: NodeSpec,
  token: string,
  method: string,
  route: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const response = await fetch(`${node.url}/api${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return json<T>(response, `${method} ${route} at ${node.name}`);
}

async function receipt(node: NodeSpec, direction: 'in' | 'out', id: string) {
  const response = await fetch(`${node.url}/api/federation/messages/${direction}/${id}`);
  return response.ok ? ((await response.json()) as { status: string; attempts: number; lastError: string | null }) : undefined;
}

interface CrossCaseView {
  id: string;
  state: string;
  caseId: string | null;
  decision: string | null;
  handoverMessageId: string;
  applicantMasked: string;
}

/**
 * 异地代收代办: the clerk at `from`'s window hands the applicant's case to `to`; or 全程网办
 * (`online`): the applicant, logged in at home on `from`, applies for `to`'s service. `to` opens it;
 * its clerk approves it there; the decision comes back. `beforeAccepted` runs once the message is
 * queued (the restart step stops the receiver before and starts it there).
 */
async function handOver(
  ctx: Ctx,
  label: string,
  from: { node: NodeSpec; province: DemoProvince },
  to: { node: NodeSpec; province: DemoProvince },
  applicant: DemoProvince['residents'][number],
  options: { online?: boolean; beforeAccepted?: (handed: CrossCaseView) => Promise<void> } = {},
): Promise<{ caseId: string; id: string; token: string; entry: Ctx['cases'][number] }> {
  const form = { address: to.province.address, residentSince: '2015-05-01', purpose: 'school' };
  const token = options.online ? await residentToken(from.node, applicant.residentId) : await staffToken(from.node, from.province);
  const handed = options.online
    ? await call<CrossCaseView>(
        from.node,
        token,
        'POST',
        '/federation/applications',
        { to: to.province.memberId, serviceCode: 'cert.residence', form, orgCode: to.province.village },
        { 'idempotency-key': `demo-online-${applicant.phone}` },
      )
    : await call<CrossCaseView>(from.node, token, 'POST', '/federation/cases', {
        to: to.province.memberId,
        serviceCode: 'cert.residence',
        form,
        residentId: applicant.residentId,
        materials: [{ name: '户口簿', sha256: 'a'.repeat(64) }],
      });
  const observed = [handed.state];
  const seen = (v: CrossCaseView) => {
    if (observed.at(-1) !== v.state) observed.push(v.state);
    return v;
  };
  const entry: Ctx['cases'][number] = {
    service: options.online ? 'online' : 'handover',
    label,
    from: from.province.memberId,
    to: to.province.memberId,
    senderId: handed.id,
    serviceCode: 'cert.residence',
    applicantMasked: handed.applicantMasked,
    messageId: handed.handoverMessageId,
    observedAtSender: observed,
  };
  ctx.cases.push(entry);
  if (options.beforeAccepted) await options.beforeAccepted(handed);
  const poll = (state: string) =>
    until(
      `${label}: the case ${state} at ${from.node.name}`,
      async () => {
        const v = seen(await call<CrossCaseView>(from.node, token, 'GET', `/federation/cases/${handed.id}`));
        return v.state === state ? v : undefined;
      },
      STEP_TIMEOUT_MS,
      250,
    );
  const accepted = await poll('accepted');
  const caseId = accepted.caseId!;
  // The handling province's window decides (a residence certificate completes the case at once).
  await call(to.node, await staffToken(to.node, to.province), 'POST', `/cases/${caseId}/actions`, {
    action: 'approve',
    reason: options.online ? '全程网办，材料齐全' : '异地代收，材料齐全',
  });
  await poll('decided');
  return { caseId, id: handed.id, token, entry };
}

/** Service 2, 异地代收代办: a window clerk in Hebei hands a Guangxi resident's case to Guangxi. */
const hebeiToGuangxi: Step = {
  name: '异地代收代办 河北 → 广西',
  run: async (ctx) => {
    await handOver(
      ctx,
      '河北窗口代收、广西办理',
      { node: ctx.hebei, province: HEBEI },
      { node: ctx.guangxi, province: GUANGXI },
      GUANGXI.residents[0]!,
    );
  },
};

/** Guangxi killed (SIGKILL), a hand-over queued to it at Hebei (tried, failed), Guangxi started again on its data dir: delivered once. */
const restartReceiver: Step = {
  name: '广西节点重启（消息排队时）restart Guangxi with a hand-over queued to it',
  run: async (ctx) => {
    await kill(ctx.guangxi);
    await handOver(
      ctx,
      '河北窗口代收、广西办理（广西节点重启）',
      { node: ctx.hebei, province: HEBEI },
      { node: ctx.guangxi, province: GUANGXI },
      GUANGXI.residents[1]!,
      {
        beforeAccepted: async (handed) => {
          const failing = await until(
            'a failed delivery attempt while Guangxi is down',
            async () => {
              const r = await receipt(ctx.hebei, 'out', handed.handoverMessageId);
              return r && r.attempts >= 1 && r.status === 'pending' ? r : undefined;
            },
            STEP_TIMEOUT_MS,
            250,
          );
          await start(ctx.guangxi);
          ctx.pids.get('guangxi')!.push(ctx.guangxi.child!.pid!);
          const delivered = await until(
            'the queued hand-over delivered after the restart',
            async () => (await receipt(ctx.hebei, 'out', handed.handoverMessageId))?.status === 'delivered' || undefined,
            STEP_TIMEOUT_MS,
            250,
          );
          ctx.report.restart = {
            node: GUANGXI.memberId,
            messageId: handed.handoverMessageId,
            failedAttemptsWhileDown: failing.attempts,
            lastError: failing.lastError,
            deliveredAfterRestart: delivered,
          };
        },
      },
    );
  },
};

/**
 * Service 2 the other way: a Guangxi window hands a Hebei resident's case to Hebei, whose decision
 * issues a Hebei certificate; Guangxi's verifier checks it with the national trust list.
 */
const guangxiToHebeiAndVerify: Step = {
  name: '异地代收代办 广西 → 河北，河北证照在广西核验',
  run: async (ctx) => {
    const applicant = HEBEI.residents[0]!;
    const { caseId } = await handOver(
      ctx,
      '广西窗口代收、河北办理（证照在广西核验）',
      { node: ctx.guangxi, province: GUANGXI },
      { node: ctx.hebei, province: HEBEI },
      applicant,
    );
    const holder = await residentToken(ctx.hebei, applicant.residentId);
    const cert = await call<{ id: string; identifier: string }>(ctx.hebei, holder, 'GET', `/cases/${caseId}/certificate`);
    // The bundle once Hebei's ledger has sequenced the issuance (its inclusion proof travels with it).
    const bundle = await until(
      'the certificate with its ledger inclusion proof',
      async () => {
        const b = await call<CertificateBundle>(ctx.hebei, holder, 'GET', `/certificates/${cert.id}/bundle?fields=holderName`);
        return b.ledger ? b : undefined;
      },
      STEP_TIMEOUT_MS,
      500,
    );
    const answer = await json<{ verdict: string; checks: { check: string; result: string }[] }>(
      await fetch(`${ctx.guangxi.url}/api/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ bundle }),
      }),
      'POST /api/verify at guangxi',
    );
    const checks = Object.fromEntries(answer.checks.map((c) => [c.check, c.result]));
    // Offline: the anchors Guangxi publishes (its own and the national list's), Hebei's status lists,
    // and Hebei's log key from the hub-signed directory (the inclusion proof is Hebei's ledger's).
    const anchors = await json<TrustAnchors>(await fetch(`${ctx.guangxi.url}/api/trust`), 'GET /api/trust at guangxi');
    const hubInfo = await json<{ key: { keyId: string; publicKeySpki: string } }>(
      await fetch(`${ctx.hub.url}/api/federation/hub`),
      'the hub key',
    );
    const opened = openSignedDocument<DirectoryDocument>(
      await json<unknown>(await fetch(`${ctx.hub.url}/api/federation/directory`), 'the hub’s directory'),
      new Uint8Array(Buffer.from(hubInfo.key.publicKeySpki, 'base64')),
      hubInfo.key.keyId,
    );
    if (!opened.ok) throw new Error(`the hub's directory does not verify: ${opened.reason}`);
    const hebeiLog = opened.document.members.find((m) => m.memberId === HEBEI.memberId)?.ledger?.logVkey;
    if (!hebeiLog) throw new Error("the hub's directory has no ledger key for Hebei");
    const list = parsePayload(bundle.payload)?.status.list ?? '1';
    const listUrl = /^https?:/.test(list) ? list : `${ctx.hebei.url}/api/status-lists/${list}`;
    const lists = await Promise.all(
      (['revocation', 'suspension'] as const).map(async (purpose) =>
        json<StatusListCredential>(await fetch(`${listUrl}/${purpose}`), `Hebei's ${purpose} list`),
      ),
    );
    const status = await statusEvidenceFromCredentials(bundle.payload, lists, anchors, new Date());
    const offline = verifyCertificate(bundle, { ...anchors, ledger: { vkey: hebeiLog } }, { status, requireLedger: true });
    ctx.report.certificate = {
      issuedBy: HEBEI.memberId,
      verifiedAt: GUANGXI.memberId,
      identifier: cert.identifier,
      atGuangxi: { verdict: answer.verdict, checks },
      offline: { verdict: offline.verdict, checks: Object.fromEntries(offline.checks.map((c) => [c.check, c.result])) },
    };
    // At Guangxi the seal chains to the national root, and the status comes from Hebei's signed
    // lists found through the directory (foreign-status.ts): VALID there, and offline with the lists.
    const passes = ['format', 'disclosures', 'issuer', 'signature', 'validity'].every((c) => checks[c] === 'pass');
    ctx.report.certificateVerifiedElsewhere = passes && answer.verdict === 'VALID' && offline.verdict === 'VALID';
  },
};

/**
 * Service 1, 全程网办: a Hebei resident, logged in at home, applies for Guangxi's residence
 * certificate; Guangxi registers them from the signed message, its window approves, and the sealed
 * certificate comes back to the resident's Hebei wallet, where Hebei checks its seal.
 */
const onlineHebeiToGuangxi: Step = {
  name: '全程网办 河北居民申请广西事项',
  run: async (ctx) => {
    const { id, token, entry } = await handOver(
      ctx,
      '河北居民网上申请、广西办理、证照回到河北',
      { node: ctx.hebei, province: HEBEI },
      { node: ctx.guangxi, province: GUANGXI },
      HEBEI.residents[1]!,
      { online: true },
    );
    const wallet = await call<{ crossCaseId: string; identifier: string; bundle: unknown }[]>(
      ctx.hebei,
      token,
      'GET',
      '/federation/certificates',
    );
    const held = wallet.find((c) => c.crossCaseId === id);
    if (!held) throw new Error('the Guangxi certificate is not in the Hebei wallet');
    const answer = await json<{ verdict: string; checks: { check: string; result: string }[] }>(
      await fetch(`${ctx.hebei.url}/api/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ bundle: held.bundle }),
      }),
      'POST /api/verify at hebei',
    );
    entry.certificate = {
      identifier: held.identifier,
      inWallet: true,
      verdictAtHome: answer.verdict,
      checks: Object.fromEntries(answer.checks.map((c) => [c.check, c.result])),
    };
  },
};

interface EvidenceView {
  id: string;
  caseId: string;
  provider: string;
  state: string;
  verification: { verdict: string } | null;
  content: { issuerName: string; holderIdMasked: string; typeName: { zh: string } } | null;
}

/**
 * Service 3, evidence across provinces: Hebei's first resident, now registered in Guangxi, applies
 * there; the case asks Hebei's e-licence library for the residence certificate Hebei issued in the
 * step before (the province from the ID number); the resident previews it and consents.
 */
const evidenceGuangxiFromHebei: Step = {
  name: '跨省调证 广西办件调取河北电子证照',
  run: async (ctx) => {
    const applicant = HEBEI.residents[0]!;
    const token = await residentToken(ctx.guangxi, applicant.residentId);
    const kase = await call<{ id: string }>(
      ctx.guangxi,
      token,
      'POST',
      '/cases',
      { serviceCode: 'cert.residence', form: { address: GUANGXI.address, residentSince: '2024-03-01', purpose: 'school' } },
      { 'idempotency-key': 'demo-evidence-case' },
    );
    const asked = await call<EvidenceView>(
      ctx.guangxi,
      token,
      'POST',
      '/federation/evidence',
      { caseId: kase.id, evidenceType: 'residence' },
      { 'idempotency-key': 'demo-evidence-request' },
    );
    const observed = [asked.state];
    const entry: Ctx['cases'][number] = {
      service: 'evidence',
      label: '广西办件调取河北居住证明（本人预览并同意）',
      from: GUANGXI.memberId,
      to: asked.provider,
      senderId: asked.id,
      serviceCode: 'cert.residence',
      evidenceType: 'residence',
      applicantMasked: '',
      messageId: '',
      observedAtSender: observed,
    };
    ctx.cases.push(entry);
    const pending = await until(
      'the evidence verified and waiting for the resident’s preview',
      async () => {
        const v = await call<EvidenceView>(ctx.guangxi, token, 'GET', `/federation/evidence/${asked.id}`);
        if (observed.at(-1) !== v.state) observed.push(v.state);
        if (v.state === 'none' || v.state === 'invalid') throw new Error(`the evidence request ended ${v.state}`);
        return v.state === 'pending_preview' ? v : undefined;
      },
      STEP_TIMEOUT_MS,
      250,
    );
    const consented = await call<EvidenceView>(ctx.guangxi, token, 'POST', `/federation/evidence/${asked.id}/consent`);
    observed.push(consented.state);
    const attached = await call<EvidenceView[]>(ctx.guangxi, token, 'GET', `/federation/evidence/cases/${kase.id}/attached`);
    entry.applicantMasked = pending.content?.holderIdMasked ?? '';
    entry.preview = {
      verdict: pending.verification?.verdict ?? 'none',
      issuerName: pending.content?.issuerName ?? '',
      typeName: pending.content?.typeName.zh ?? '',
      attachedToCase: attached.some((e) => e.id === asked.id),
    };
  },
};

/**
 * Service 4, 跨省异地就医结算: a patient insured in 贵港市 (Guangxi) is treated at 正定县人民医院
 * (Hebei) and settled at its insurance window: Hebei's catalogue, Guangxi's policy, one signed call
 * each for the pre-settlement and the settlement (federation-insurance.ts).
 */
const insuranceGuangxiPatientInHebei: Step = {
  name: '跨省异地就医结算 广西参保、河北就医',
  run: async (ctx) => {
    const settled = await settleAtTheWindow(ctx.hebei, login, call, new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10));
    ctx.settlement = settled;
    ctx.cases.push({
      service: 'insurance',
      label: '广西参保人在河北住院，医保窗口直接结算',
      from: HEBEI.memberId,
      to: GUANGXI.memberId,
      senderId: settled.setlId,
      serviceCode: 'insurance.settle',
      applicantMasked: '',
      messageId: '',
      observedAtSender: [settled.where, 'presettled', 'settled'],
    });
  },
};

interface Published {
  memberId: string;
  equivocating: boolean;
  evidence: { kind: string }[];
}

/** A member that shows Hebei one tree of size 1 and Guangxi another: the hub and both provinces find the fork. */
const splitView: Step = {
  name: '分叉检测 planted split view',
  run: async (ctx) => {
    const note = (leaf: string) =>
      signNote(formatCheckpoint({ origin: ctx.log.name, size: 1, rootHash: hashLeaf(new TextEncoder().encode(leaf)), extensions: [] }), [
        ctx.log,
      ]);
    // C2SP tlog-witness: `old 0`, no proof, a blank line, the note.
    const push = async (node: NodeSpec, leaf: string) =>
      (await fetch(`${node.url}/witness/add-checkpoint`, { method: 'POST', body: `old 0\n\n${note(leaf)}` })).status === 200 || undefined;
    await until('Hebei to cosign one history of the planted member', () => push(ctx.hebei, 'a'), STEP_TIMEOUT_MS, 500);
    await until('Guangxi to cosign another', () => push(ctx.guangxi, 'b'), STEP_TIMEOUT_MS, 500);
    const published = async () =>
      (await json<{ members: Published[] }>(await fetch(`${ctx.hub.url}/api/federation/checkpoints`), 'the hub’s checkpoints')).members;
    const view = await until(
      'the hub to mark the planted member equivocating',
      async () => (await published()).find((m) => m.memberId === FORKER && m.equivocating),
      STEP_TIMEOUT_MS,
      500,
    );
    const findingsAt: string[] = [];
    for (const node of [ctx.hebei, ctx.guangxi]) {
      await until(
        `${node.name} to record the split view`,
        async () => {
          const findings = await json<{ origin: string; kind: string }[]>(await fetch(`${node.url}/api/witness/findings`), 'findings');
          return findings.some((f) => f.origin === ctx.log.name && f.kind === 'FORK') || undefined;
        },
        STEP_TIMEOUT_MS,
        500,
      );
      findingsAt.push(node.env.YIBAN_MEMBER_ID!);
    }
    const honest = (await published()).filter((m) => m.memberId !== FORKER);
    ctx.report.splitView = { member: FORKER, hubEvidence: view.evidence[0]?.kind ?? null, findingsAt };
    ctx.report.splitViewDetected = view.equivocating && findingsAt.length === 2 && honest.every((m) => !m.equivocating);
  },
};

/** The demo, in order. A new cross-province service is one more Step here. */
const STEPS: Step[] = [
  hebeiToGuangxi,
  restartReceiver,
  guangxiToHebeiAndVerify,
  onlineHebeiToGuangxi,
  evidenceGuangxiFromHebei,
  insuranceGuangxiPatientInHebei,
  splitView,
];

/** Starts the hub, seeds and joins the provinces, has the hub approve them and the planted member, starts the provinces. */
async function setUp(ctx: Ctx): Promise<void> {
  const { hub, hebei, guangxi } = ctx;
  await start(hub);
  ctx.pids.get('hub')!.push(hub.child!.pid!);
  await Promise.all([
    seedProvince(hebei, HEBEI, (platform) => seedPlaceOfTreatment(platform, DEMO_PASSWORD)),
    seedProvince(guangxi, GUANGXI, seedPlaceOfInsurance),
  ]);
  const witness = cosignatureSigner('forker.yiban.demo/witness', new Uint8Array(32).fill(6), () => Date.now() / 1000);
  const body = JSON.stringify({ ...ctx.forker.join, ledger: { logVkey: ctx.log.vkey, witnessVkey: witness.vkey } });
  const asked = await signedPost(`${hub.url}/api/federation/members`, ctx.forker.signing, body, { idempotencyKey: `join-${FORKER}` });
  const answer = await asked.send();
  if (answer.status !== 202) throw new Error(`the planted member's join request: HTTP ${answer.status} ${await answer.text()}`);
  await stop(hub);
  await approveMembers(hub, [HEBEI.memberId, GUANGXI.memberId, FORKER]);
  await start(hub);
  ctx.pids.get('hub')!.push(hub.child!.pid!);
  await Promise.all([start(hebei), start(guangxi)]);
  ctx.pids.get('hebei')!.push(hebei.child!.pid!);
  ctx.pids.get('guangxi')!.push(guangxi.child!.pid!);
}

/**
 * Issue 16's demo on a fresh data dir (one sub-dir per node): a hub and two province nodes as
 * separate `yiban serve` processes with their own PGlite databases on 127.0.0.1, joined and
 * approved; then the steps above; then every process stopped and each node's database read for
 * the counts. Every child process is stopped at the end, on error too.
 */
export async function runDemoFederation(options: { dataDir?: string; log?: (line: string) => void } = {}): Promise<FederationReport> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const dir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'yiban-demo-federation-'));
  mkdirSync(dir, { recursive: true });
  if (readdirSync(dir).length > 0) throw new Error(`${dir} is not empty: the demo needs a fresh data dir`);
  // Each node has its own master key (nodeSpec draws one): the applicant's ID number travels in the
  // signed message and each node keys it under its own, so a hand-over still finds its applicant.
  const hub = await nodeSpec('hub', 'hub', HUB_ID, undefined, dir, { ...WITNESS_EVERY, YIBAN_NODE_NAME: '国家政务服务平台' });
  const hebei = await nodeSpec('hebei', 'province', HEBEI.memberId, hub.url, dir, {
    ...WITNESS_EVERY,
    YIBAN_NODE_NAME: HEBEI.name,
  });
  const guangxi = await nodeSpec('guangxi', 'province', GUANGXI.memberId, hub.url, dir, {
    ...WITNESS_EVERY,
    YIBAN_NODE_NAME: GUANGXI.name,
  });
  const ctx: Ctx = {
    dir,
    hub,
    hebei,
    guangxi,
    pids: new Map([
      ['hub', []],
      ['hebei', []],
      ['guangxi', []],
    ]),
    forker: testMember(FORKER),
    log: ed25519Signer('forker.yiban.demo/ledger', new Uint8Array(32).fill(5)),
    cases: [],
    report: {},
  };
  const steps: FederationReport['steps'] = [];
  let flushedAtStop = 0;
  let completed = false;
  try {
    let t = performance.now();
    await setUp(ctx);
    steps.push({ name: '启动并加入 hub, Hebei and Guangxi started, joined and approved', seconds: (performance.now() - t) / 1000 });
    log(`nodes up in ${steps[0]!.seconds.toFixed(1)} s`);
    for (const step of STEPS) {
      t = performance.now();
      log(`${step.name} …`);
      await step.run(ctx);
      steps.push({ name: step.name, seconds: (performance.now() - t) / 1000 });
    }
    completed = true;
  } finally {
    await stopAll([hebei, guangxi]);
    if (!completed) await stopAll([hub]);
  }
  try {
    // The hub last: what the provinces queued for it as they stopped is delivered first (their outboxes, run here once more).
    if (hub.child) for (const node of [hebei, guangxi]) flushedAtStop += await deliverQueued(node, HUB_ID);
  } finally {
    await stopAll([hub]);
  }
  const records: NodeRecords[] = await Promise.all([
    readNodeRecords(path.join(dir, 'hub'), HUB_ID),
    readNodeRecords(path.join(dir, 'hebei'), HEBEI.memberId),
    readNodeRecords(path.join(dir, 'guangxi'), GUANGXI.memberId),
  ]);
  const figures = messageFigures(records);
  const byMember = new Map(records.map((r) => [r.memberId, r]));
  const callsOf = (type: string) =>
    Math.min(figures.perNode[HEBEI.memberId]?.sentByType[type] ?? 0, figures.perNode[GUANGXI.memberId]?.receivedByType[type] ?? 0);
  const settlement = settlementReport({
    window: ctx.settlement!,
    treatment: byMember.get(HEBEI.memberId)!,
    insurance: byMember.get(GUANGXI.memberId)!,
    presettleCalls: callsOf('insurance.presettle'),
    settleCalls: callsOf('insurance.settle'),
  });
  const crossProvinceCases: CrossProvinceCase[] = ctx.cases.map(({ senderId, ...c }) => {
    const states: CrossProvinceCase['states'] = {};
    if (c.service === 'insurance') {
      // The window's settlement at the place of treatment, and the place of insurance's row for the same stay.
      const here = byMember.get(c.from)!.settlements.find((s) => s.setlId === senderId);
      const there = byMember.get(c.to)!.remoteSettlements.find((s) => s.fromMember === c.from && s.mdtrtId === here?.mdtrtId);
      if (here) states[c.from] = { side: 'treatment', state: here.status, decision: here.policyVersion, caseId: null };
      if (there) states[c.to] = { side: 'insurance', state: there.status, decision: there.policyVersion, caseId: null };
      return { ...c, applicantMasked: settlement.patientMasked, messageId: there?.ref ?? '', states };
    }
    if (c.service === 'evidence') {
      // The requester's row is the one the resident saw; the provider's shares its request message id.
      const asked = byMember.get(c.from)!.evidence.find((e) => e.id === senderId);
      const messageId = asked?.requestMessageId ?? '';
      for (const member of [c.from, c.to]) {
        const row = member === c.from ? asked : byMember.get(member)?.evidence.find((e) => e.requestMessageId === messageId);
        if (!row) continue;
        const caseId = row.side === 'requester' ? row.caseRef : null;
        const caseState = caseId ? byMember.get(member)!.caseStates.get(caseId) : undefined;
        states[member] = { side: row.side, state: row.state, decision: null, caseId, ...(caseState ? { caseState } : {}) };
      }
      return { ...c, messageId, states };
    }
    for (const member of [c.from, c.to]) {
      const row = byMember.get(member)!.crossCases.find((x) => x.handoverMessageId === c.messageId);
      if (!row) continue;
      const caseState = row.caseId ? byMember.get(member)!.caseStates.get(row.caseId) : undefined;
      states[member] = {
        side: row.side,
        state: row.state,
        decision: row.decision,
        caseId: row.caseId,
        ...(caseState ? { caseState } : {}),
      };
    }
    return { ...c, states };
  });
  const report = ctx.report;
  return {
    dataDir: dir,
    nodes: [
      { name: 'hub', memberId: HUB_ID, role: 'hub', url: hub.url, pids: ctx.pids.get('hub')! },
      { name: 'hebei', memberId: HEBEI.memberId, role: 'province', url: hebei.url, pids: ctx.pids.get('hebei')! },
      { name: 'guangxi', memberId: GUANGXI.memberId, role: 'province', url: guangxi.url, pids: ctx.pids.get('guangxi')! },
    ],
    plantedMember: { memberId: FORKER, role: 'planted split view (keys held by the demo, no process)' },
    crossProvinceCases,
    crossProvinceSettlement: settlement,
    certificate: report.certificate!,
    certificateVerifiedElsewhere: report.certificateVerifiedElsewhere ?? false,
    restart: report.restart!,
    messages: figures.perNode,
    duplicatesApplied: figures.duplicatesApplied,
    duplicates: figures.duplicates,
    lost: figures.lost,
    pendingAtSender: figures.pendingAtSender,
    deliveredAfterStop: flushedAtStop,
    splitViewDetected: report.splitViewDetected ?? false,
    splitView: report.splitView!,
    steps,
    wallSeconds: (performance.now() - started) / 1000,
    loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
  };
}
