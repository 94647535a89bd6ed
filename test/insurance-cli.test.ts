import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteDataDirFromTemplate } from './db-template.ts';
import { freshResidentId } from './factories.ts';
import { openDatabase } from '../src/db/database.ts';
import { maskResidentId } from '../src/modules/identity/index.ts';
import { loadOrCreateHospitalKey } from '../src/modules/insurance/hospital-system.ts';
import { seedInsurance } from '../src/modules/insurance/index.ts';
import { insuranceInstitutions, insurancePersons } from '../src/modules/insurance/insurance.tables.ts';

/**
 * `yiban insurance institution add` and `yiban insurance enrol` as an operator runs them, on a
 * fresh embedded database: each bad input refused with its stable code in both languages and exit
 * code 1, nothing written; good input registered (the key id the hospital system signs with) and
 * enrolled (the person number printed, the ID number masked).
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(path.join(tmpdir(), 'yiban-insurance-cli-'));
const dataDir = path.join(dir, 'data');

function yiban(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, YIBAN_DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
    delete env.DATABASE_URL;
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/yiban.js'), ...args], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

// A fresh database as a first start leaves it, made from the migrated template (test/db-template.ts)
// once, instead of initdb and every migration in the first command.
beforeAll(() => pgliteDataDirFromTemplate(dataDir));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('yiban insurance (operators’ registry commands)', () => {
  it('refuses a bad institution, registers a good one under the hospital system’s key id, refuses bad enrolments and enrols a resident', async () => {
    const stateDir = path.join(dir, 'hospital');
    const { key, publicKeyPem } = loadOrCreateHospitalKey(stateDir, 'H45010300011');
    const keyFile = path.join(dir, 'hospital.pub.pem');
    writeFileSync(keyFile, publicKeyPem);
    const badKey = path.join(dir, 'bad.pem');
    writeFileSync(badKey, '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n');
    const add = (over: Record<string, string>) => {
      const o = { code: 'H45010300011', name: '南宁市第十一人民医院', level: '2', region: '450103', 'public-key-file': keyFile, ...over };
      return yiban('insurance', 'institution', 'add', ...Object.entries(o).flatMap(([k, v]) => [`--${k}`, v]));
    };
    for (const [over, code] of [
      [{ code: 'H4501' }, 'VALIDATION_FAILED'],
      [{ level: '4' }, 'VALIDATION_FAILED'],
      [{ region: '4501' }, 'INVALID_DIVISION_CODE'],
      [{ 'public-key-file': badKey }, 'VALIDATION_FAILED'],
    ] as const) {
      const r = await add(over);
      expect(r.code, JSON.stringify(over)).toBe(1);
      expect(r.stderr).toContain(`${code}: `);
      expect(r.stderr).toMatch(/[\u4e00-\u9fff]/);
    }
    const good = await add({});
    expect(good.stderr).toBe('');
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ code: 'H45010300011', level: 2, keyId: key.keyId });

    const residentId = freshResidentId();
    const enrol = (over: Record<string, string>) => {
      const o = { 'resident-id': residentId, name: '覃阿婆', scheme: 'resident', region: '450800', ...over };
      return yiban('insurance', 'enrol', ...Object.entries(o).flatMap(([k, v]) => [`--${k}`, v]));
    };
    const noPolicy = await enrol({});
    expect(noPolicy.code).toBe(1);
    expect(noPolicy.stderr).toContain('INSURANCE_NO_POLICY: ');

    // The policies as the platform's seed loads them.
    let database = await openDatabase({ engine: 'pglite', dataDir });
    await seedInsurance(database.db, []);
    await database.close();
    for (const [over, code] of [
      [{ scheme: 'farmer' }, 'VALIDATION_FAILED'],
      [{ 'resident-id': `${residentId.slice(0, 17)}${residentId.endsWith('1') ? '2' : '1'}` }, 'INVALID_RESIDENT_ID'],
      [{ account: '5000' }, 'VALIDATION_FAILED'],
    ] as const) {
      const r = await enrol(over);
      expect(r.code, JSON.stringify(over)).toBe(1);
      expect(r.stderr).toContain(`${code}: `);
    }
    const enrolled = await enrol({});
    expect(enrolled.code).toBe(0);
    const printed = JSON.parse(enrolled.stdout) as { psnNo: string; residentId: string };
    expect(printed.residentId).toBe(maskResidentId(residentId));
    expect(enrolled.stdout).not.toContain(residentId);

    database = await openDatabase({ engine: 'pglite', dataDir });
    try {
      const [institution] = await database.db.select().from(insuranceInstitutions).where(eq(insuranceInstitutions.code, 'H45010300011'));
      expect(institution).toMatchObject({ level: 2, region: '450103', keyId: key.keyId, status: 'active' });
      expect(Buffer.from(institution!.publicKey)).toEqual(Buffer.from(key.publicKey));
      const persons = await database.db.select().from(insurancePersons);
      expect(persons.map((p) => p.psnNo)).toEqual([printed.psnNo]);
      expect(persons[0]).toMatchObject({ scheme: 'resident', region: '450800', name: '覃阿婆' });
    } finally {
      await database.close();
    }
  }, 300_000);
});
