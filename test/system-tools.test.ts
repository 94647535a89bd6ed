import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assert, describe, expect, it } from 'vitest';
import { missingPackages, onPath, planSystemTools, SYSTEM_TOOLS } from '../scripts/system-tools.mjs';

const SCRIPT = path.resolve(import.meta.dirname, '../scripts/system-tools.mjs');

describe('the system tools preflight (scripts/system-tools.mjs)', () => {
  it('names each package whose command or file is missing, once, in the list order', () => {
    const missing = missingPackages({ hasCommand: (c) => c !== 'zbarimg' && c !== 'pdffonts', hasFile: (f) => !f.includes('wqy') });
    expect(missing).toEqual(['poppler-utils', 'zbar-tools', 'fonts-wqy-microhei']);
    expect(missingPackages({ hasCommand: () => true, hasFile: (f) => !f.includes('HanaMinB') })).toEqual(['fonts-hanazono']);
    expect(missingPackages({ hasCommand: () => true, hasFile: () => true })).toEqual([]);
    expect(missingPackages({ hasCommand: () => false, hasFile: () => false })).toEqual(SYSTEM_TOOLS.map((t) => t.package));
  });

  it('lists every tool the tests call', () => {
    const commands = SYSTEM_TOOLS.flatMap((t) => t.commands ?? []);
    for (const c of [
      'chromium',
      'pdfsig',
      'pdftotext',
      'pdftoppm',
      'pdffonts',
      'certutil',
      'zbarimg',
      'valgrind',
      'gcc',
      'g++',
      'make',
      'openssl',
    ])
      expect(commands).toContain(c);
  });

  it('does nothing when nothing is missing', () => {
    expect(planSystemTools({ missing: [], isRoot: false, hasAptGet: false, installAllowed: false })).toEqual({ action: 'none' });
  });

  it('as root with apt-get: apt-get update once, then one non-interactive install of exactly the missing packages', () => {
    expect(planSystemTools({ missing: ['zbar-tools', 'chromium'], isRoot: true, hasAptGet: true, installAllowed: true })).toEqual({
      action: 'install',
      commands: [
        ['apt-get', 'update', '-qq'],
        ['apt-get', 'install', '-y', '-qq', 'zbar-tools', 'chromium'],
      ],
    });
  });

  it('installs a package marked `recommends: false` without its recommended packages (promtool: not the Prometheus server’s exporters)', () => {
    expect(planSystemTools({ missing: ['zbar-tools', 'prometheus'], isRoot: true, hasAptGet: true, installAllowed: true })).toEqual({
      action: 'install',
      commands: [
        ['apt-get', 'update', '-qq'],
        ['apt-get', 'install', '-y', '-qq', 'zbar-tools'],
        ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'prometheus'],
      ],
    });
    expect(planSystemTools({ missing: ['prometheus'], isRoot: true, hasAptGet: true, installAllowed: true })).toEqual({
      action: 'install',
      commands: [
        ['apt-get', 'update', '-qq'],
        ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'prometheus'],
      ],
    });
  });

  it.each([
    { isRoot: false, hasAptGet: true, installAllowed: true, why: /needs root/ },
    { isRoot: true, hasAptGet: false, installAllowed: true, why: /no apt-get/ },
    { isRoot: true, hasAptGet: true, installAllowed: false, why: /check only/ },
  ])('stops with one message naming the packages and the command when it cannot install (%o)', (situation) => {
    const plan = planSystemTools({ missing: ['zbar-tools', 'valgrind'], ...situation });
    expect(plan.action).toBe('stop');
    assert(plan.action === 'stop');
    expect(plan.message).toMatch(situation.why);
    expect(plan.message).toContain('zbar-tools valgrind');
    expect(plan.message).toContain('apt-get install -y zbar-tools valgrind');
    expect(plan.message).toMatch(/缺少/);
  });

  it('finds commands on PATH only when executable there', () => {
    expect(onPath('node', path.dirname(process.execPath))).toBe(true);
    expect(onPath('node', '/nonexistent')).toBe(false);
    expect(onPath('node', '')).toBe(false);
  });

  it('as a process with a PATH that lacks the tools and apt-get: exit 1 with the one message, installing nothing', () => {
    // A PATH holding only node: every command is missing and there is no apt-get to install with.
    const bin = mkdtempSync(path.join(tmpdir(), 'yiban-path-'));
    try {
      symlinkSync(process.execPath, path.join(bin, 'node'));
      const result = spawnSync(path.join(bin, 'node'), [SCRIPT], { encoding: 'utf8', env: { PATH: bin } });
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('no apt-get');
      expect(result.stderr).toContain(
        'apt-get install -y openssl g++ make python3 valgrind poppler-utils libnss3-tools zbar-tools chromium',
      );
      expect(result.stderr.match(/Missing system tools/g)).toHaveLength(1);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('passes its own check on this machine (the global setup ran it)', () => {
    const result = spawnSync(process.execPath, [SCRIPT, '--check'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
