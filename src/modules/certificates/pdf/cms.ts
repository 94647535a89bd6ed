/**
 * CMS SignedData (RFC 5652) for PDF signatures, PAdES-B-B style (ETSI EN 319 142-1): detached,
 * SHA-256, signed attributes contentType, signingTime, messageDigest and ESS
 * signing-certificate-v2 (RFC 5035), the certificate chain included. The signature itself comes
 * from the caller's signer, so the private key never leaves the key store.
 */
import { createHash } from 'node:crypto';
import { AsnConvert, AsnObjectIdentifierConverter, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, Time } from '@peculiar/asn1-x509';
import {
  Attribute,
  CertificateChoices,
  CertificateSet,
  ContentInfo,
  DigestAlgorithmIdentifiers,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
  id_data,
  id_signedData,
} from '@peculiar/asn1-cms';
import { Signer } from '@signpdf/utils';

const OID = {
  sha256: '2.16.840.1.101.3.4.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
};

/** What signs a PDF: the P-256 PDF key of the key store (DER ECDSA-SHA256 over the message). */
export interface PdfKey {
  certificatePem: string;
  /** The issuers' certificates up to the root, leaf's issuer first. */
  chainPem: string;
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer;

function pemBlocks(pem: string): Uint8Array[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
}

function derLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

function derTlv(tag: number, content: Uint8Array): Uint8Array {
  return Buffer.concat([Uint8Array.of(tag), derLength(content.length), content]);
}

/** SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }, with SHA-256 (the default, so omitted). */
function signingCertificateV2(certificateDer: Uint8Array): Uint8Array {
  const hash = createHash('sha256').update(certificateDer).digest();
  const essCertId = derTlv(0x30, derTlv(0x04, hash));
  return derTlv(0x30, derTlv(0x30, essCertId));
}

const sha256Id = () => new AlgorithmIdentifier({ algorithm: OID.sha256 });

/** The certificates a signer presents: its own first, then its chain. */
export interface PreparedKey {
  key: PdfKey;
  leaf: Certificate;
  leafDer: Uint8Array;
  chain: Certificate[];
  signingCertificateAttr: Uint8Array;
}

/** Parses the key's certificates once; reuse the result for every document. */
export function prepareKey(key: PdfKey): PreparedKey {
  const [leafDer, ...chainDer] = pemBlocks(key.certificatePem + key.chainPem);
  if (!leafDer) throw new Error('the PDF signing key has no certificate');
  return {
    key,
    leaf: AsnConvert.parse(leafDer, Certificate),
    leafDer,
    chain: chainDer.map((der) => AsnConvert.parse(der, Certificate)),
    signingCertificateAttr: signingCertificateV2(leafDer),
  };
}

/** A DER CMS ContentInfo holding a detached SignedData over `content`. */
export async function createDetachedCms(prepared: PreparedKey, content: Uint8Array, signingTime: Date): Promise<Uint8Array> {
  const digest = createHash('sha256').update(content).digest();
  const attribute = (attrType: string, value: Uint8Array) => new Attribute({ attrType, attrValues: [toArrayBuffer(value)] });
  const attributes = [
    attribute(OID.contentType, new Uint8Array(AsnObjectIdentifierConverter.toASN(id_data).toBER())),
    attribute(OID.signingTime, new Uint8Array(AsnConvert.serialize(new Time(new Date(Math.floor(signingTime.getTime() / 1000) * 1000))))),
    attribute(OID.messageDigest, new Uint8Array(AsnConvert.serialize(new OctetString(digest)))),
    attribute(OID.signingCertificateV2, prepared.signingCertificateAttr),
  ];
  // DER: a SET OF is sorted by the encodings of its elements; the signature covers that SET.
  const encoded = attributes.map((a) => ({ a, der: Buffer.from(AsnConvert.serialize(a)) })).sort((x, y) => Buffer.compare(x.der, y.der));
  const signedAttrsDer = derTlv(0x31, Buffer.concat(encoded.map((e) => e.der)));
  const signature = await prepared.key.sign(signedAttrsDer);

  const { leaf } = prepared;
  const signerInfo = new SignerInfo({
    version: 1,
    sid: new SignerIdentifier({ issuerAndSerialNumber: new IssuerAndSerialNumber({ issuer: leaf.tbsCertificate.issuer, serialNumber: leaf.tbsCertificate.serialNumber }) }),
    digestAlgorithm: sha256Id(),
    signedAttrs: encoded.map((e) => e.a),
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: OID.ecdsaWithSha256 }),
    signature: new OctetString(signature),
  });
  const signedData = new SignedData({
    version: 1,
    digestAlgorithms: new DigestAlgorithmIdentifiers([sha256Id()]),
    encapContentInfo: new EncapsulatedContentInfo({ eContentType: id_data }),
    certificates: new CertificateSet([leaf, ...prepared.chain].map((certificate) => new CertificateChoices({ certificate }))),
    signerInfos: new SignerInfos([signerInfo]),
  });
  const contentInfo = new ContentInfo({ contentType: id_signedData, content: AsnConvert.serialize(signedData) });
  return new Uint8Array(AsnConvert.serialize(contentInfo));
}

/** The @signpdf Signer that produces our CMS over the PDF's signed byte ranges. */
export class CmsSigner extends Signer {
  constructor(private readonly prepared: PreparedKey) {
    super();
  }

  override async sign(pdfBuffer: Buffer, signingTime?: Date): Promise<Buffer> {
    return Buffer.from(await createDetachedCms(this.prepared, pdfBuffer, signingTime ?? new Date()));
  }
}
