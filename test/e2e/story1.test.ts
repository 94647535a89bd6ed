import { readFileSync } from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cases, caseEvents } from '../../src/modules/applications/applications.tables.ts';
import { certificates } from '../../src/modules/certificates/certificates.tables.ts';
import { makeResidentId } from '../../src/modules/identity/resident-id.ts';
import { DEMO_PASSWORD } from '../../src/demo/demo-people.ts';
import { DESKTOP, PHONE, SCREENSHOTS, settled, startE2e, type E2eServer } from './harness.ts';

// Story 1 of the design, in the browser: a resident registers on a phone and applies for a
// residence proof; the 塔元庄村 reviewer approves in the console; the resident downloads the PDF
// and shows the QR; the public verifier says VALID, then revoked after a revocation, and INVALID
// for a tampered payload. The database is checked along the way, not only the screen.
describe('story 1 in the browser', () => {
  let server: E2eServer;
  let phone: BrowserContext;
  let desk: BrowserContext;
  let resident: Page;
  let staff: Page;
  const residentId = makeResidentId('130123', '1990-06-15', 321);
  let caseId = '';
  let qr = '';
  let pdfPath = '';

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });

  beforeAll(async () => {
    server = await startE2e();
    phone = await server.context({ ...PHONE, acceptDownloads: true });
    desk = await server.context(DESKTOP);
    phone.setDefaultTimeout(15_000);
    desk.setDefaultTimeout(15_000);
    resident = await phone.newPage();
    staff = await desk.newPage();
  });
  afterAll(async () => {
    await server?.close();
  });

  async function verify(page: Page, text: string): Promise<string> {
    await page.goto('/verify');
    await page.locator('#vf-text').fill(text);
    await page.getByRole('button', { name: '核验', exact: true }).click();
    const verdict = page.getByTestId('verdict');
    await verdict.waitFor();
    return (await verdict.getAttribute('data-verdict')) ?? '';
  }

  it('a resident registers on a phone and applies for a residence proof', async () => {
    await resident.goto('/');
    await resident.waitForURL('**/login');
    await shot(resident, 'resident-login');
    await resident.getByText('没有账号？实名注册').click();
    await resident.getByPlaceholder('与身份证一致').fill('陈静');
    await resident.getByPlaceholder('18 位居民身份证号').fill(residentId);
    await resident.getByPlaceholder('11 位手机号').fill('13931100099');
    await resident.getByPlaceholder('至少 10 位').fill('Tyz-2026-Home');
    await resident.getByRole('textbox', { name: '村（社区）名称' }).fill('塔元庄');
    await resident.getByRole('button', { name: '查找' }).click();
    await resident.getByText(/塔元庄.*（130123100242）/).waitFor();
    await shot(resident, 'resident-register');
    await resident.getByRole('button', { name: '注册并登录' }).click();
    await resident.getByText('您好，陈静').waitFor();
    await resident.locator('.adm-toast-mask').waitFor({ state: 'detached' });
    await resident.locator('.adm-list-item').first().waitFor();
    await shot(resident, 'resident-home');

    await resident
      .getByRole('button', { name: /居住证明/ })
      .first()
      .click();
    await resident.waitForURL('**/apply/cert.residence');
    // Prefilled from the home village the resident registered with.
    await expect.poll(() => resident.getByPlaceholder('请输入现居住地址').inputValue()).toContain('塔元庄村');
    await resident.locator('input[aria-label="居住起始日期"]').fill('2015-05-01');
    await resident.locator('.adm-selector-item').first().click();
    await shot(resident, 'resident-apply');
    await resident.getByRole('button', { name: '提交申请' }).click();
    await resident.getByText('申请已提交').waitFor();
    await resident.getByRole('button', { name: '查看办理进度' }).click();
    await resident.waitForURL('**/cases/*');
    caseId = resident.url().split('/').pop()!;
    await resident.getByTestId('due-date').waitFor();
    await shot(resident, 'resident-case');

    const [row] = await server.platform.database.db.select().from(cases).where(eq(cases.id, caseId));
    expect(row).toMatchObject({ state: 'submitted', serviceCode: 'cert.residence', orgCode: '130123100242' });
    expect(row!.form).toMatchObject({ residentSince: '2015-05-01' });
    expect(row!.dueDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('the 塔元庄村 reviewer approves it in the console after a preview', async () => {
    await staff.goto('/console');
    await staff.waitForURL('**/console/login');
    await staff.getByLabel('用户名').fill('tyz-reviewer');
    await staff.getByLabel('密码').fill(DEMO_PASSWORD);
    await staff.getByRole('button', { name: /登\s*录/ }).click();
    await staff.getByText('待办队列').first().waitFor();
    await staff.locator('.ant-table-row').first().waitFor();
    await shot(staff, 'console-queue');
    await staff.goto(`/console/cases/${caseId}`);
    const id = staff.getByTestId('applicant-id');
    await id.waitFor();
    expect(await id.textContent()).not.toContain(residentId);
    expect(await id.textContent()).toMatch(/^130123\*+\d{3}[\dX]$/);
    await staff.getByRole('button', { name: '审核通过' }).click();
    await staff.getByTestId('certificate-preview').waitFor();
    expect(await staff.getByTestId('certificate-preview').textContent()).toContain('陈静');
    await settled(staff); // the dialog's opening animation has finished
    await shot(staff, 'console-approve-preview');
    await staff.getByRole('button', { name: '确认通过并签发' }).click();
    await staff.getByText('已签发的电子证明').waitFor();
    await shot(staff, 'console-case');

    const [row] = await server.platform.database.db.select().from(cases).where(eq(cases.id, caseId));
    // Approval issues the certificate and completes the case in the same transaction.
    expect(row!.state).toBe('completed');
    const events = await server.platform.database.db.select().from(caseEvents).where(eq(caseEvents.caseId, caseId));
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['submit', 'approve', 'complete']));
    const [certificate] = await server.platform.database.db.select().from(certificates).where(eq(certificates.caseId, caseId));
    expect(certificate).toMatchObject({ typeCode: 'residence', issuerOrgCode: '130123100242', status: 'active' });
  });

  it('the resident downloads the PDF and shows the QR full screen', async () => {
    await resident.goto(`/cases/${caseId}`);
    await resident.getByText('居住证明').last().waitFor();
    await resident
      .locator('.adm-list-item', { hasText: '电子证明' })
      .or(resident.getByText('有效', { exact: true }))
      .first()
      .waitFor();
    await resident.goto('/certs');
    await resident.locator('.rs-cert').first().click();
    await resident.getByTestId('cert-status').waitFor();
    await shot(resident, 'resident-certificate');
    const [download] = await Promise.all([resident.waitForEvent('download'), resident.getByRole('button', { name: '下载 PDF' }).click()]);
    pdfPath = path.join(SCREENSHOTS, '..', '..', 'node_modules', '.cache', `e2e-${caseId}.pdf`);
    await download.saveAs(pdfPath);
    expect(readFileSync(pdfPath).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    await resident.getByRole('button', { name: '出示二维码' }).click();
    await resident.getByTestId('qr-canvas').waitFor();
    await expect.poll(() => resident.getByTestId('qr-text').inputValue()).toMatch(/^YB1\./);
    qr = await resident.getByTestId('qr-text').inputValue();
    await shot(resident, 'resident-qr');
  });

  it('the public verifier says VALID for the QR and for the PDF', async () => {
    const page = await phone.newPage();
    expect(await verify(page, qr)).toBe('VALID');
    await page.getByText('证明有效').waitFor();
    await page.getByText('陈静').first().waitFor();
    await shot(page, 'verify-valid');
    await page.getByRole('tab', { name: '上传 PDF' }).click();
    await page.locator('#vf-file').setInputFiles(pdfPath);
    await expect.poll(async () => page.getByTestId('verdict').getAttribute('data-verdict')).toBe('VALID');
    await page.close();
  });

  it('after a staff member revokes it the verifier says revoked; a tampered payload is INVALID', async () => {
    await staff.goto(`/console/cases/${caseId}`);
    await staff.getByRole('button', { name: '撤销证明' }).click();
    await staff.getByLabel('理由').fill('居住信息有误，申请人已搬离');
    await staff.getByRole('button', { name: /确\s*定/ }).click();
    await staff.getByTestId('certificate-status').getByText('已撤销').waitFor();
    const [certificate] = await server.platform.database.db.select().from(certificates).where(eq(certificates.caseId, caseId));
    expect(certificate!.status).toBe('revoked');

    const page = await phone.newPage();
    expect(await verify(page, qr)).toBe('INVALID');
    await page.getByText('证明已被撤销').first().waitFor();
    await shot(page, 'verify-revoked');

    await resident.reload();
    await expect.poll(() => resident.getByTestId('cert-status').getAttribute('data-status')).toBe('revoked');

    // One character changed in the middle of the payload.
    const at = Math.floor(qr.length / 2);
    const tampered = qr.slice(0, at) + (qr[at] === 'A' ? 'B' : 'A') + qr.slice(at + 1);
    expect(await verify(page, tampered)).toBe('INVALID');
    await page.getByText('证明无效').waitFor();
    await shot(page, 'verify-tampered');
    await page.close();
  });

  it('switches the verifier to English', async () => {
    const page = await phone.newPage();
    await page.goto('/verify');
    await page.getByTestId('lang-switch').click();
    await page.getByText('Certificate verification').waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await page.locator('#vf-text').fill(qr);
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await page.getByText('the certificate has been revoked').first().waitFor();
    await page.close();
  });

  // Runs last: every page above ran under the Content-Security-Policy without a violation.
  it('met the Content-Security-Policy on every page', () => {
    expect(server.cspViolations).toEqual([]);
  });
});
