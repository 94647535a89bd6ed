import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { appSuite } from './app-suite.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIR = path.join(ROOT, 'docs/prometheus');
const RULES = path.join(DIR, 'yiban-alerts.yml');
const TESTS = path.join(DIR, 'yiban-alerts.test.yml');

interface RuleFile {
  groups: {
    name: string;
    rules: { alert: string; expr: string; for?: string; labels: { severity: string }; annotations: Record<string, string> }[];
  }[];
}
interface TestFile {
  tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
}

/** promtool (Debian's prometheus package; scripts/system-tools.mjs installs it) on the files as they are. */
function promtool(...args: string[]) {
  const run = spawnSync('promtool', args, { cwd: DIR, encoding: 'utf8' });
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}

describe('the Prometheus alerting rules (docs/prometheus/yiban-alerts.yml)', () => {
  const rules = parse(readFileSync(RULES, 'utf8')) as RuleFile;
  const alerts = rules.groups.flatMap((g) => g.rules);

  it('pass promtool’s check', () => {
    const checked = promtool('check', 'rules', 'yiban-alerts.yml');
    expect(checked.out).toContain(`SUCCESS: ${alerts.length} rules found`);
    expect(checked.status).toBe(0);
  });

  it('pass their unit tests in promtool, each alert seen firing and seen not firing', () => {
    const tested = promtool('test', 'rules', 'yiban-alerts.test.yml');
    expect(tested.out).toContain('SUCCESS');
    expect(tested.status).toBe(0);
    const cases = (parse(readFileSync(TESTS, 'utf8')) as TestFile).tests.flatMap((t) => t.alert_rule_test);
    for (const { alert } of alerts) {
      expect(
        cases.some((c) => c.alertname === alert && c.exp_alerts.length > 0),
        `${alert} is never seen firing`,
      ).toBe(true);
      expect(
        cases.some((c) => c.alertname === alert && c.exp_alerts.length === 0),
        `${alert} is never seen quiet`,
      ).toBe(true);
    }
  });

  it('say what happened in Chinese and English, with a severity and what to do (docs/OPERATIONS.md names each)', () => {
    const operations = readFileSync(path.join(ROOT, 'docs/OPERATIONS.md'), 'utf8');
    expect(operations).toContain('## Alerts');
    for (const rule of alerts) {
      expect(rule.annotations.runbook).toBe('docs/OPERATIONS.md#alerts');
      expect(operations, `${rule.alert} is not in docs/OPERATIONS.md`).toContain(`**${rule.alert}**`);
      expect(['page', 'ticket']).toContain(rule.labels.severity);
      for (const text of [rule.annotations.summary!, rule.annotations.description!]) {
        expect(text, rule.alert).toMatch(/[\u4e00-\u9fff]/);
        expect(text, rule.alert).toMatch(/[A-Za-z]{3,} [a-z]+/);
      }
    }
  });

  describe('read only what a real app exposes', () => {
    const suite = appSuite('pglite');
    let scrape = '';
    beforeAll(async () => {
      await suite.app.inject('/api/platform');
      // An unsigned call to the hospital interface: refused, and counted under its route.
      await suite.app.inject({ method: 'POST', url: '/api/insurance/hsa/v1/transactions', payload: {} });
      scrape = (await suite.app.inject({ method: 'GET', url: '/metrics' })).body;
    });

    it('every metric and every route the rules name', () => {
      const families = new Map([...scrape.matchAll(/^# TYPE (\S+) (\w+)$/gm)].map((m) => [m[1]!, m[2]!]));
      const names = new Set(alerts.flatMap((r) => [...r.expr.matchAll(/\b(?:yiban|process|nodejs)_[a-z0-9_]+\b/g)].map((m) => m[0])));
      expect(names.size).toBeGreaterThanOrEqual(10);
      for (const name of names) {
        const base = name.replace(/_(bucket|sum|count)$/, '');
        const known = families.get(name) ?? (base !== name && families.get(base) === 'histogram' ? 'histogram' : undefined);
        expect(known, `${name} in the rules is not in a scrape`).toBeDefined();
      }
      const routes = new Set(alerts.flatMap((r) => [...r.expr.matchAll(/route="([^"]+)"/g)].map((m) => m[1]!)));
      expect(routes.size).toBeGreaterThan(0);
      for (const route of routes) expect(scrape, `route ${route} in the rules is not in a scrape`).toContain(`route="${route}"`);
    });
  });
});
