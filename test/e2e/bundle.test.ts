import path from 'node:path';
import { eq, inArray } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cases, caseEvents } from '../../src/modules/applications/applications.tables.ts';
import { bundles } from '../../src/modules/bundles/bundles.tables.ts';
import { certificates } from '../../src/modules/certificates/certificates.tables.ts';
import { makeResidentId } from '../../src/modules/identity/resident-id.ts';
import { ledgerEntries } from '../../src/modules/ledger/ledger.tables.ts';
import { sharingExchanges, sharingGrants, sharingRecords } from '../../src/modules/sharing/sharing.tables.ts';
import { demoBirthTime } from '../../src/modules/sharing/sharing-records.seed.ts';
import { DEMO_PASSWORD, demoPeople } from '../../src/demo/demo-people.ts';
import { startDepartment, type RunningDepartment } from '../../src/modules/sharing/department-process.ts';
import { seedRecords } from '../../src/modules/sharing/sharing-records.seed.ts';
import { axeSerious } from './axe.ts';
import { DESKTOP, PHONE, SCREENSHOTS, recordToasts, settled, startE2e, toastSeen, type E2eServer } from './harness.ts';

// Story 2 of the design, in the browser: 王芳 (whose delivery record the hospital holds) opens the
// birth bundle on a phone, sees which fields the departments' data fills, types the one that no
// dataset holds, reads the consent preview and consents, submits; the departments' instant-approval
// rules issue all five outputs; she finds them in her wallet and every exchange in "who used my
// data". A police officer then sees the task, the grants and the datasets in the console. The
// hospital's birth records come from the hospital's own system: a separate department process
// answering the platform's RFC 9421 signed requests (the external adapter).
describe('the birth bundle in the browser', () => {
  let server: E2eServer;
  let hospital: RunningDepartment | undefined;
  let phone: BrowserContext;
  let desk: BrowserContext;
  let parent: Page;
  let bundleId = '';
  let mother = '';

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });

  beforeAll(async () => {
    server = await startE2e();
    const sharing = server.platform.services.sharingAdmin;
    hospital = await startDepartment({
      name: '正定县人民医院',
      datasets: [{ code: 'health.birth_record', records: seedRecords(demoPeople())['health.birth_record'] ?? [] }],
      trust: [sharing.sharingPublicKey().publicKeyPem],
    });
    await sharing.setProvider('health.birth_record', hospital.provider());
    phone = await server.context(PHONE);
    desk = await server.context(DESKTOP);
    phone.setDefaultTimeout(20_000);
    desk.setDefaultTimeout(20_000);
    parent = await phone.newPage();
  });
  afterAll(async () => {
    await hospital?.stop();
    await server?.close();
  });

  it('the mother opens the bundle and sees the prefilled form; she types only the bank branch', async () => {
    await parent.goto('/login');
    await parent.getByPlaceholder('请输入手机号或身份证号').fill('13831100002');
    await parent.getByPlaceholder('请输入密码').fill(DEMO_PASSWORD);
    await parent.getByRole('button', { name: '登录' }).click();
    await parent.getByText('您好，王芳').waitFor();
    await parent.locator('.adm-toast-mask').waitFor({ state: 'detached' });
    await parent.getByTestId('bundles-entry').click();
    await parent.waitForURL('**/bundles');
    await parent.getByTestId('bundle-birth').waitFor();
    await settled(parent);
    await shot(parent, 'resident-bundles');
    expect(await axeSerious(parent)).toEqual([]);

    await parent.getByTestId('bundle-birth').click();
    await parent.waitForURL('**/bundles/birth');
    // Four of the five fields come from the departments' data, each with its source named.
    for (const [field, source] of [
      ['childName', '出生医学记录'],
      ['birthDate', '出生医学记录'],
      ['hospital', '出生医学记录'],
      ['householdHead', '户籍信息'],
    ] as const) {
      const row = parent.getByTestId(`prefilled-${field}`);
      await row.waitFor();
      expect(await row.textContent()).toContain(source);
      expect(await row.textContent()).toContain('自动获取');
    }
    expect(await parent.getByTestId('burden').textContent()).toContain('80% 自动填');
    await parent.getByRole('textbox', { name: '领卡银行网点' }).fill('中国农业银行正定支行');
    await settled(parent);
    await shot(parent, 'resident-bundle-form');
    expect(await axeSerious(parent)).toEqual([]);
  });

  it('she reads the consent preview, consents and submits; the rules issue all five outputs', async () => {
    await parent.getByRole('button', { name: '下一步：确认数据使用' }).click();
    await parent.getByTestId('consent-preview').waitFor();
    const items = parent.getByTestId('consent-item');
    await expect.poll(() => items.count()).toBe(3);
    const preview = (await parent.getByTestId('consent-preview').textContent()) ?? '';
    // Which department asks, whose data, which fields, for what, for which case, on what basis.
    expect(preview).toContain('正定县公安局');
    expect(preview).toContain('将调取');
    expect(preview).toContain('新生儿姓名');
    expect(preview).toContain('办理「出生登记（户口登记）」');
    expect(preview).toContain('《中华人民共和国户口登记条例》');
    expect(preview).toContain('法定共享');
    const submit = parent.getByRole('button', { name: '同意并提交' });
    // No submission without the explicit consent.
    expect(await submit.isDisabled()).toBe(true);
    await settled(parent);
    await shot(parent, 'resident-bundle-consent');
    expect(await axeSerious(parent)).toEqual([]);
    await parent.getByTestId('consent-check').click();
    expect(await submit.isDisabled()).toBe(false);

    const started = parent.waitForResponse((r) => r.url().endsWith('/api/bundles') && r.request().method() === 'POST', { timeout: 90_000 });
    await submit.click();
    const response = await started;
    expect(response.status()).toBe(201);
    await parent.waitForURL('**/bundles/progress/*');
    bundleId = parent.url().split('/').pop()!;
    const progress = parent.getByTestId('bundle-progress');
    await expect.poll(() => progress.getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    for (const key of ['medical_certificate', 'vaccination', 'household_registration', 'medical_insurance', 'social_security_card']) {
      expect(await parent.getByTestId(`task-${key}`).getAttribute('data-state')).toBe('done');
    }
    expect(await progress.textContent()).toContain('即办');
    expect(await progress.textContent()).toContain('正定县人民医院');
    await settled(parent);
    await shot(parent, 'resident-bundle-progress');
    expect(await axeSerious(parent)).toEqual([]);

    // The database: one bundle, five completed cases decided by the rules, one certificate each.
    const db = server.platform.database.db;
    const [row] = await db.select().from(bundles).where(eq(bundles.id, bundleId));
    expect(row).toMatchObject({ code: 'birth', stage: 'prefilled' });
    mother = row!.applicantId;
    expect(row!.typed).toEqual({ bankBranch: '中国农业银行正定支行' });
    expect(row!.form).toMatchObject({
      childName: '张小宝',
      birthDate: demoBirthTime().slice(0, 10),
      hospital: '正定县人民医院',
      householdHead: '张伟',
    });
    const caseIds = Object.values(row!.cases);
    expect(caseIds).toHaveLength(5);
    const made = await db.select().from(cases).where(inArray(cases.id, caseIds));
    expect(made.map((c) => c.state)).toEqual(['completed', 'completed', 'completed', 'completed', 'completed']);
    expect(new Set(made.map((c) => c.orgCode)).size).toBe(4);
    const approvals = await db.select().from(caseEvents).where(inArray(caseEvents.caseId, caseIds));
    const decided = approvals.filter((e) => e.action === 'approve');
    expect(decided).toHaveLength(5);
    for (const e of decided) expect(e.reason).toMatch(/^即办规则 instant-approval rule: /);
    const issued = await db.select().from(certificates).where(inArray(certificates.caseId, caseIds));
    expect(issued).toHaveLength(5);
    expect(new Set(issued.map((c) => c.typeCode))).toEqual(
      new Set(['birth_medical', 'vaccination', 'household_registration', 'medical_insurance_enrolment', 'social_security_card']),
    );
    expect(issued.every((c) => c.status === 'active' && c.holderId === row!.applicantId)).toBe(true);

    // Every prefill was a completed exchange for one of the bundle's cases, each with its ledger leaf.
    const exchanges = await db.select().from(sharingExchanges).where(inArray(sharingExchanges.caseId, caseIds));
    expect(exchanges).toHaveLength(3);
    expect(exchanges.every((x) => x.status === 'completed' && x.subjectId === row!.applicantId && x.ledgerEntryId !== null)).toBe(true);
    // The birth records came over signed HTTP from the hospital's own process, one request each.
    const fromHospital = exchanges.filter((x) => x.datasetCode === 'health.birth_record');
    expect(fromHospital.length).toBeGreaterThan(0);
    const stats = await hospital!.stats();
    expect(stats.distinctRequests).toBe(fromHospital.length);
    expect(stats.served).toBeGreaterThanOrEqual(fromHospital.length);
    await server.platform.services.ledger.sequenceNow();
    const leaves = await db
      .select()
      .from(ledgerEntries)
      .where(inArray(ledgerEntries.id, [...exchanges.map((x) => x.ledgerEntryId!), ...issued.map((c) => c.ledgerEntryId)]));
    expect(leaves.filter((l) => l.kind === 'exchange')).toHaveLength(3);
    expect(leaves).toHaveLength(8);
    // The leaves carry digests, never the data: no name of the child or the household head.
    for (const leaf of leaves.filter((l) => l.kind === 'exchange')) {
      const text = new TextDecoder().decode(leaf.data);
      expect(text).not.toContain('张小宝');
      expect(text).not.toContain('张伟');
    }
  }, 150_000);

  it('she finds the five outputs in her wallet and every exchange in "who used my data"', async () => {
    await parent.goto('/certs');
    const cards = parent.locator('.rs-cert');
    await expect.poll(() => cards.count()).toBe(5);
    const wallet = (await parent.locator('.rs-main').textContent()) ?? '';
    for (const name of ['出生医学证明', '预防接种证', '出生登记凭证', '城乡居民医保参保凭证', '电子社会保障卡'])
      expect(wallet).toContain(name);
    await settled(parent);
    await shot(parent, 'resident-bundle-wallet');

    await parent.goto('/data-use');
    const uses = parent.getByTestId('data-use');
    // Every exchange about her: the bundle's three and any the demo made before.
    const about = await server.platform.database.db.select().from(sharingExchanges).where(eq(sharingExchanges.subjectId, mother));
    expect(about.length).toBeGreaterThanOrEqual(3);
    await expect.poll(() => uses.count()).toBe(about.length);
    await expect.poll(() => parent.locator('[data-testid="data-use"][data-status="completed"]').count()).toBeGreaterThanOrEqual(3);
    // Who, when, which fields, for which case (its number and service).
    await parent.getByText('出生登记（户口登记） · ').first().waitFor();
    const text = (await parent.locator('.rs-main').textContent()) ?? '';
    expect(text).toContain('正定县公安局');
    expect(text).toContain('正定县卫生健康局');
    expect(text).toContain('出生时间');
    expect(text).toContain('户主姓名');
    expect(text).toMatch(/账本第 \d+ 条/);
    expect(text).toMatch(/\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}/);
    await settled(parent);
    await shot(parent, 'resident-data-use');
    expect(await axeSerious(parent)).toEqual([]);
  });

  it('the police officer sees the bundle task, the grants and the datasets in the console', async () => {
    const page = await desk.newPage();
    await page.goto('/console/login');
    await page.getByLabel('用户名').fill('zd-police');
    await page.getByLabel('密码').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: /登\s*录/ }).click();
    await page.getByText('待办队列').first().waitFor();

    await page.getByRole('menuitem', { name: '一件事任务' }).click();
    await page.waitForURL('**/console/bundle-tasks');
    await page.getByText('已办结', { exact: true }).click();
    const rows = page.locator('.ant-table-row');
    await rows.first().waitFor();
    const table = (await page.locator('.ant-table').textContent()) ?? '';
    expect(table).toContain('出生登记（户口登记）');
    expect(table).toContain('一件事 · 新生儿出生一件事');
    expect(table).toContain('ps.verified-birth-registration');
    // The applicant's ID number is masked.
    expect(table).toMatch(/王芳（130123\*+\d{3}[\dX]）/);
    await settled(page);
    await shot(page, 'console-bundle-tasks');
    expect(await axeSerious(page)).toEqual([]);

    await page.getByRole('menuitem', { name: '共享授权' }).click();
    await page.waitForURL('**/console/grants');
    await page.locator('.ant-table-row').first().waitFor();
    // The rows come before the datasets' names (a code until they load): wait for the name.
    await page.locator('.ant-table').getByText('出生医学记录').first().waitFor();
    const grants = (await page.locator('.ant-table').textContent()) ?? '';
    expect(grants).toContain('本单位授予');
    expect(grants).toContain('本单位获得');
    expect(grants).toContain('出生医学记录');
    await settled(page);
    await shot(page, 'console-grants');
    expect(await axeSerious(page)).toEqual([]);

    // The police revoke the household register grant to medical security; the row says so and so does the database.
    const grantRow = page.locator('.ant-table-row', { hasText: '正定县医疗保障局' }).filter({ hasText: '本单位授予' }).first();
    const grantId = await grantRow.getAttribute('data-row-key');
    await grantRow.getByRole('button', { name: /撤\s*销/ }).click();
    await page
      .locator('.ant-modal-confirm')
      .getByRole('button', { name: /撤\s*销/ })
      .click();
    // The server is busy with the bundle's benefits meanwhile (the outbox worker): wait for the answer, not a fixed time.
    await page.locator('.ant-modal-confirm').waitFor({ state: 'detached', timeout: 60_000 });
    await page.locator(`[data-row-key="${grantId}"]`).getByText('已撤销').waitFor({ timeout: 60_000 });
    const [revoked] = await server.platform.database.db.select().from(sharingGrants).where(eq(sharingGrants.id, grantId!));
    expect(revoked).toMatchObject({ datasetCode: 'ps.household_register' });
    expect(revoked!.revokedAt).not.toBeNull();

    await page.getByRole('menuitem', { name: '数据目录' }).click();
    await page.waitForURL('**/console/datasets');
    await page.getByTestId('dataset-ps.household_register').waitFor();
    expect(await page.getByTestId('dataset-ps.household_register').textContent()).toContain('户主姓名');
    await page
      .getByTestId('records-ps.household_register')
      .getByText(/共 \d+ 条记录/)
      .waitFor();
    await settled(page);
    await shot(page, 'console-datasets');
    expect(await axeSerious(page)).toEqual([]);

    // The police write one person's household record: the count goes up and the write is a ledger leaf.
    const db = server.platform.database.db;
    const recordsBefore = await db.select().from(sharingRecords).where(eq(sharingRecords.datasetCode, 'ps.household_register'));
    await page.getByTestId('dataset-ps.household_register').getByRole('button', { name: '写入记录' }).click();
    const dialog = page.locator('.ant-modal', { hasText: '写入记录 · 户籍信息' });
    await dialog.getByLabel('身份证号').fill(makeResidentId('130123', '1995-04-16', 204));
    await dialog.getByLabel('姓名', { exact: true }).fill('孙梅');
    await dialog.getByLabel('户主姓名').fill('孙建国');
    // The toast that names the ledger entry lasts three seconds: it is recorded, not waited for.
    await recordToasts(page);
    await dialog.getByRole('button', { name: /写\s*入/ }).click();
    const toast = await toastSeen(page, /记录已写入（账本条目 \d+）/);
    await page
      .getByTestId('records-ps.household_register')
      .getByText(`共 ${recordsBefore.length + 1} 条记录`)
      .waitFor();
    const recordsAfter = await db.select().from(sharingRecords).where(eq(sharingRecords.datasetCode, 'ps.household_register'));
    expect(recordsAfter).toHaveLength(recordsBefore.length + 1);
    const written = recordsAfter.find((r) => !recordsBefore.some((b) => b.subjectKey === r.subjectKey))!;
    expect(written.data).toEqual({ name: '孙梅', householdHead: '孙建国' });
    await server.platform.services.ledger.sequenceNow();
    const audit = await db.select().from(ledgerEntries).where(eq(ledgerEntries.kind, 'dataset_record'));
    expect(audit).toHaveLength(1);
    // The toast named this entry.
    expect(toast).toContain(`记录已写入（账本条目 ${audit[0]!.id}）`);
    expect(new TextDecoder().decode(audit[0]!.data)).not.toContain('孙梅');
    await page.close();
  }, 180_000);

  // Runs last: every page above ran under the Content-Security-Policy without a violation.
  it('met the Content-Security-Policy on every page', () => {
    expect(server.cspViolations).toEqual([]);
  });
});
