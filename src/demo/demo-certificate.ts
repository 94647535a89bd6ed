import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createServices, type Services } from '../app.ts';
import { openDatabase, type Database } from '../db/database.ts';
import { SEED_SERVICE_ITEMS } from '../modules/catalog/index.ts';
import { SEED_CERTIFICATE_TYPES, upsertCertificateTypes } from '../modules/certificates/index.ts';
import { renderSealSvg } from '../modules/certificates/index.ts';
import { ensureDemoDepartments } from '../modules/orgs/index.ts';
import { encodeQr } from '../verify/bundle.ts';
import { toVerifiableCredential } from '../verify/credential.ts';
import { parsePayload } from '../verify/document.ts';
import { DEMO_PASSWORD, DEMO_VILLAGE, demoResidentId } from './demo-people.ts';

export interface DemoCertificateFiles {
  dir: string;
  identifier: string;
  files: string[];
}

/**
 * Story 1 on a migrated database: 正定县 and its departments, the catalogue, 张伟 applies for a
 * residence proof and the 塔元庄村 reviewer approves; returns the certificate and its full bundle.
 */
export async function issueDemoCertificate(database: Database, services: Services) {
  await services.orgsAdmin.loadDivisions({ scope: { prefix: '130123' } });
  await ensureDemoDepartments(database.db);
  await services.catalogAdmin.upsertItems(SEED_SERVICE_ITEMS);
  await upsertCertificateTypes(database.db, SEED_CERTIFICATE_TYPES);
  await services.keys.ensurePlatformRoot();
  await services.identityAdmin.ensureStaff({
    username: 'tyz-reviewer',
    name: '塔元庄村审核员',
    password: DEMO_PASSWORD,
    roles: [{ role: 'village_reviewer', orgCode: DEMO_VILLAGE }],
  });
  const residentId = demoResidentId(0);
  await services.identity.registerResident({
    name: '张伟',
    residentId,
    phone: '13831100001',
    password: DEMO_PASSWORD,
    homeOrgCode: DEMO_VILLAGE,
  });
  const login = async (input: Parameters<typeof services.identity.login>[0]) => {
    const principal = await services.identity.authenticate((await services.identity.login(input)).token);
    if (!principal) throw new Error('demo login failed');
    return principal;
  };
  const resident = await login({ kind: 'resident', residentIdOrPhone: residentId, password: DEMO_PASSWORD, channel: 'app' });
  const reviewer = await login({ kind: 'staff', username: 'tyz-reviewer', password: DEMO_PASSWORD, channel: 'web' });
  const { case: c } = await services.applications.submit(resident, {
    serviceCode: 'cert.residence',
    form: { address: '河北省石家庄市正定县正定镇塔元庄村', residentSince: '2015-05-01', purpose: 'school' },
  });
  await services.applications.act(reviewer, c.id, 'approve');
  const cert = await services.certificates.getByCase(resident, c.id);
  await services.ledger.integrate();
  const shown = cert.fields.map((f) => f.name);
  const bundle = await services.certificates.bundle(resident, cert.id, shown);
  return { resident, cert, bundle, shown };
}

/** The demo certificate's renditions, written for other tools to check. */
export async function writeDemoCertificate(outDir: string, options: { publicUrl: string }): Promise<DemoCertificateFiles> {
  const database = await openDatabase({ engine: 'pglite', memory: true });
  try {
    await database.migrate();
    const services = createServices(database, { masterKey: randomBytes(32), publicUrl: options.publicUrl });
    const { resident, cert, bundle, shown } = await issueDemoCertificate(database, services);
    const payload = parsePayload(bundle.payload)!;
    const key = await services.keys.getPublicKey(payload.keyId);
    if (!key) throw new Error('the seal key is missing');

    mkdirSync(outDir, { recursive: true });
    const { bytes: pdf } = await services.certificates.pdf(resident, cert.id, shown);
    const files: Record<string, string | Buffer> = {
      'certificate.pdf': Buffer.from(pdf),
      'payload.json': bundle.payload,
      'payload.sig': Buffer.from(bundle.signature, 'base64'),
      'seal.pub.pem': key.publicKeyPem,
      'seal.cert.pem': key.certificatePem + key.chainPem,
      'seal.svg': renderSealSvg({ name: cert.issuer.name, bottomText: '电子证明专用章' }),
      'qr.txt': (await encodeQr(bundle)) + '\n',
      'credential.json': JSON.stringify(toVerifiableCredential(bundle), null, 2) + '\n',
      'bundle.json': JSON.stringify(bundle, null, 2) + '\n',
      'trust.json': JSON.stringify(await services.certificates.trustAnchors(), null, 2) + '\n',
    };
    for (const purpose of ['revocation', 'suspension'] as const) {
      // The list the certificate's payload names (its status.list URL).
      const list = services.certificates.statusListOf(payload.status.list);
      const credential = list ? await services.certificates.statusListCredential(list, purpose) : null;
      if (!credential) throw new Error(`the certificate's status list ${payload.status.list} is not this deployment's`);
      files[`status-${purpose}.json`] = JSON.stringify(credential, null, 2) + '\n';
    }
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(outDir, name), content);
    return { dir: outDir, identifier: cert.identifier, files: Object.keys(files) };
  } finally {
    await database.close();
  }
}
