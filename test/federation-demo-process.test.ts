import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FederationReport } from '../src/demo/demo-federation.ts';
import { PATIENT } from '../src/demo/federation-insurance.ts';
import { GUANGXI, HEBEI, HUB_ID } from '../src/demo/federation-seed.ts';
import { yiban } from './federation-nodes.ts';

/**
 * `yiban demo federation --json` as a user runs it (issue 16): a hub and two province processes
 * with their own master keys, cases handed over both ways, one province killed and started again
 * with a hand-over queued to it, a Hebei certificate verified in Guangxi, a Hebei resident's online
 * application decided in Guangxi with the certificate back in the Hebei wallet, a Guangxi case
 * using Hebei's certificate as evidence, a Guangxi-insured patient settled at a Hebei hospital's
 * insurance window under Guangxi's policy, a planted split view. Slow (several minutes on a
 * loaded machine): one run, its report checked field by field.
 */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('yiban demo federation --json', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'yiban-demo-federation-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the cross-province services across separate node processes and accounts for every message', async () => {
    const dataDir = path.join(dir, 'data');
    const result = await yiban(['demo', 'federation', '--json', '--data-dir', dataDir], { ...process.env, DATABASE_URL: '' });
    expect(result.code, result.stderr).toBe(0);
    // One exit handler however many data folders and node processes the demo opens.
    expect(result.stderr).not.toContain('MaxListenersExceededWarning');
    const report = JSON.parse(result.stdout) as FederationReport;

    expect(report.nodes.map((n) => [n.memberId, n.role])).toEqual([
      [HUB_ID, 'hub'],
      [HEBEI.memberId, 'province'],
      [GUANGXI.memberId, 'province'],
    ]);
    // Guangxi ran twice (killed and started again); every process is gone once the command ends.
    expect(report.nodes.find((n) => n.name === 'guangxi')!.pids).toHaveLength(2);
    for (const pid of report.nodes.flatMap((n) => n.pids)) expect(alive(pid)).toBe(false);

    // Two hand-overs Hebei → Guangxi (one across the restart), one Guangxi → Hebei and an online
    // application Hebei → Guangxi, each decided on both sides; then evidence Guangxi asks of Hebei.
    expect(report.crossProvinceCases.map((c) => [c.service, c.from, c.to])).toEqual([
      ['handover', HEBEI.memberId, GUANGXI.memberId],
      ['handover', HEBEI.memberId, GUANGXI.memberId],
      ['handover', GUANGXI.memberId, HEBEI.memberId],
      ['online', HEBEI.memberId, GUANGXI.memberId],
      ['evidence', GUANGXI.memberId, HEBEI.memberId],
      ['insurance', HEBEI.memberId, GUANGXI.memberId],
    ]);
    for (const c of report.crossProvinceCases.filter((x) => x.service === 'handover' || x.service === 'online')) {
      expect(c.observedAtSender.at(-1)).toBe('decided');
      expect(c.states[c.from]).toMatchObject({ side: 'sender', state: 'decided', decision: 'completed' });
      expect(c.states[c.to]).toMatchObject({ side: 'receiver', state: 'decided', decision: 'completed', caseState: 'completed' });
      expect(c.states[c.from]!.caseId).toBe(c.states[c.to]!.caseId);
    }
    expect(report.restart).toMatchObject({ node: GUANGXI.memberId, deliveredAfterRestart: true });
    expect(report.restart.failedAttemptsWhileDown).toBeGreaterThanOrEqual(1);
    expect(report.restart.messageId).toBe(report.crossProvinceCases[1]!.messageId);

    // 全程网办: Guangxi's certificate came back to the Hebei wallet and its seal checks there (national trust list).
    const online = report.crossProvinceCases[3]!;
    expect(online.certificate).toMatchObject({ inWallet: true, checks: { issuer: 'pass', signature: 'pass' } });
    expect(online.certificate!.verdictAtHome).not.toBe('INVALID');
    // Evidence: verified at Guangxi, previewed, consented and attached; Hebei's row says it provided it.
    const evidence = report.crossProvinceCases[4]!;
    expect(evidence.observedAtSender.at(-1)).toBe('attached');
    expect(evidence.states[GUANGXI.memberId]).toMatchObject({ side: 'requester', state: 'attached' });
    expect(evidence.states[GUANGXI.memberId]!.caseState).toBeTruthy();
    expect(evidence.states[HEBEI.memberId]).toMatchObject({ side: 'provider', state: 'provided' });
    expect(evidence.preview).toMatchObject({ verdict: 'VALID', typeName: '居住证明', attachedToCase: true });
    expect(evidence.applicantMasked).toMatch(/\*/);

    // 跨省异地就医结算: treated in 正定县 (Hebei), insured in 贵港市 (Guangxi), settled at the Hebei
    // window under Guangxi's policy; one settlement on each side, the same parts, read from each database.
    const s = report.crossProvinceSettlement;
    expect(s).toMatchObject({
      treatedAt: HEBEI.memberId,
      policyOf: GUANGXI.memberId,
      insuranceRegion: '450800',
      hospital: { region: '130123' },
      where: 'other_province',
      calls: { presettle: 1, settle: 1 },
      settledOnBoth: true,
    });
    expect(s.policyVersion).toMatch(/^450800-/);
    expect(s.total).toBeGreaterThan(0);
    expect(s.fundPay).toBeGreaterThan(0);
    expect(s.accountPay).toBeGreaterThan(0);
    expect(s.fundPay + s.accountPay + s.cashPay).toBe(s.total);
    expect(s.atTreatment).toMatchObject({
      setlId: s.setlId,
      status: 'settled',
      insuranceRegion: '450800',
      policyVersion: s.policyVersion,
      totalFen: s.total,
      hifpPayFen: s.fundPay,
      acctPayFen: s.accountPay,
      cashPayFen: s.cashPay,
    });
    expect(s.atPlaceOfInsurance).toHaveLength(1);
    expect(s.atPlaceOfInsurance[0]).toMatchObject({
      fromMember: HEBEI.memberId,
      mdtrtId: s.atTreatment!.mdtrtId,
      status: 'settled',
      policyVersion: s.policyVersion,
      totalFen: s.total,
      hifpPayFen: s.fundPay,
      acctPayFen: s.accountPay,
      cashPayFen: s.cashPay,
    });
    const insured = report.crossProvinceCases[5]!;
    expect(insured.states[HEBEI.memberId]).toMatchObject({ side: 'treatment', state: 'settled' });
    expect(insured.states[GUANGXI.memberId]).toMatchObject({ side: 'insurance', state: 'settled' });
    expect(insured.messageId).toBe(s.atPlaceOfInsurance[0]!.ref);
    expect(insured.applicantMasked).toMatch(/\*/);

    expect(report.certificateVerifiedElsewhere).toBe(true);
    expect(report.certificate.atGuangxi.checks).toMatchObject({ issuer: 'pass', signature: 'pass' });
    expect(report.certificate.offline.verdict).toBe('VALID');

    // Counted from each node's federation_messages: the case messages both ways, the cosignature reports to the hub.
    const hebei = report.messages[HEBEI.memberId]!;
    const guangxi = report.messages[GUANGXI.memberId]!;
    const calls = { 'insurance.person': 1, 'insurance.presettle': 1, 'insurance.settle': 1 };
    expect(hebei.sentByType).toMatchObject({ 'case.handover': 2, 'case.apply-online': 1, 'evidence.response': 1, ...calls });
    expect(guangxi.receivedByType).toMatchObject({ 'case.handover': 2, 'case.apply-online': 1, 'evidence.response': 1, ...calls });
    expect(guangxi.sentByType).toMatchObject({ 'case.handover': 1, 'evidence.request': 1 });
    expect(hebei.receivedByType).toMatchObject({ 'case.handover': 1, 'case.accepted': 3, 'case.decided': 3, 'evidence.request': 1 });
    expect(report.messages[HUB_ID]!.receivedByType['federation.cosigned']).toBeGreaterThan(0);
    expect(report.duplicatesApplied).toBe(0);
    expect(report.lost).toBe(0);

    expect(report.splitViewDetected).toBe(true);
    expect(report.splitView).toMatchObject({ hubEvidence: 'FORK', findingsAt: [HEBEI.memberId, GUANGXI.memberId] });

    // Nothing in the report names a resident: their ID numbers only masked.
    for (const r of [...HEBEI.residents, ...GUANGXI.residents, PATIENT]) expect(result.stdout).not.toContain(r.residentId);
  }, 1_200_000);
});
