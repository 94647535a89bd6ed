import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDemoInsurance } from '../src/demo/demo-insurance.ts';

describe('yiban demo insurance', () => {
  it('settles the Nanning stay at the window with no filing at the local share, explains every line, and saves more than 4,000 yuan against the filing era', async () => {
    const report = await runDemoInsurance();
    expect(report.policy).toBe('450800-2026-07');
    expect(report.filingEra.policy).toBe('450800-2025');
    expect(report.fundPay + report.accountPay + report.cashPay).toBe(report.total);
    expect(report.filingEra.total).toBe(report.total);
    expect(report.saving).toBe(report.filingEra.cashPay - report.cashPay);
    expect(report.saving).toBeGreaterThan(400_000);
    expect(report.linesExplained).toBe(report.lines);
    expect(report.hospitalProcess).toBe(true);
    expect(report.patient.idMasked).toMatch(/^450821\*+\d{3}[\dX]$/);

    // The sealed statement verifies offline with what the demo wrote: the PDF and its QR text.
    const bin = path.resolve(import.meta.dirname, '../bin/yiban.js');
    const status = report.statement.statusLists.flatMap((f) => ['--status', f]);
    for (const file of [report.statement.pdf, report.statement.qrFile]) {
      const verified = await new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile('node', [bin, 'verify', file, '--trust', report.statement.trust, ...status, '--offline'], (error, stdout) =>
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
        );
      });
      expect(verified.stdout, file).toContain('有效 VALID');
      expect(verified.code, file).toBe(0);
    }
  }, 180_000);
});
