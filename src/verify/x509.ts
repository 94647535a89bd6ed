/**
 * X.509 certificate chains for the verifier: check a chain from a leaf through optional
 * intermediates to a pinned root, at a given time. Signatures: SM2 with SM3 (default ID
 * 1234567812345678 as GM/T 0015 prescribes for certificates), Ed25519 and ECDSA P-256 with
 * SHA-256. Parsing is x509-certificate.ts and the path rules x509-path.ts; this file is what
 * callers import, parsing included.
 *
 * Failure is a normal answer here: every function returns a result union with a reason code
 * and never throws on bad input. Browser-safe.
 */
import { bytesToHex } from './tlog-bytes.ts';
import { parseCertificate, type CertificateInput, type ParsedCertificate } from './x509-certificate.ts';
import type { KeyUsageType } from './x509-extensions.ts';
import { buildPath, checkChain, fail, type ChainFailureResult, type ChainResult } from './x509-path.ts';

export {
  parseCertificate,
  splitPemChain,
  type CertificateInfo,
  type CertificateInput,
  type CertificateSignatureAlgorithm,
  type ParsedCertificate,
  type ParseFailure,
} from './x509-certificate.ts';
export type { KeyUsageType } from './x509-extensions.ts';
export type { NameInfo } from './x509-name.ts';
export type { ChainFailure, ChainResult } from './x509-path.ts';

export interface ChainOptions {
  leaf: CertificateInput;
  intermediates?: CertificateInput[];
  /** The pinned roots. Only a chain that ends in one of these can be valid. */
  anchors: CertificateInput[];
  /** The time to check validity periods at. */
  at: Date;
  /** Usages the leaf's keyUsage extension must grant (e.g. digitalSignature, nonRepudiation for a seal). */
  keyUsage?: KeyUsageType[];
  /** Longest chain, anchor included (default 6). */
  maxLength?: number;
}

/** Verifies leaf → intermediates → pinned anchor at `at`; never throws. */
export function verifyCertificateChain(options: ChainOptions): ChainResult {
  const verifier = createChainVerifier({
    anchors: options.anchors,
    intermediates: options.intermediates ?? [],
    maxLength: options.maxLength,
    cacheSize: 0,
  });
  return verifier.verify(options.leaf, { at: options.at, keyUsage: options.keyUsage });
}

export interface ChainVerifier {
  /** Same answers as verifyCertificateChain with the pinned anchors and intermediates; never throws. */
  verify(leaf: CertificateInput, options: { at: Date; keyUsage?: KeyUsageType[] }): ChainResult;
}

/**
 * A verifier for many leaves against the same pinned anchors: the anchors and intermediates are
 * parsed once, and the path found for a leaf (parsing and signatures, the costly part) is
 * remembered by the leaf's exact bytes or PEM text, so a seal certificate met again costs a
 * lookup and a few comparisons. The time and usage checks run every time.
 */
export function createChainVerifier(options: {
  anchors: CertificateInput[];
  intermediates?: CertificateInput[];
  maxLength?: number;
  cacheSize?: number;
}): ChainVerifier {
  const setup = prepare(options.anchors, options.intermediates ?? []);
  const cacheSize = options.cacheSize ?? 1024;
  const paths = new Map<string, ParsedCertificate[]>();
  return {
    verify(leafInput, check) {
      try {
        if ('reason' in setup) return setup;
        // Keyed by the exact input, so that a leaf met again is neither parsed nor verified again.
        const key = typeof leafInput === 'string' ? leafInput : bytesToHex(leafInput);
        let chain = paths.get(key);
        if (!chain) {
          const leafResult = parseCertificate(leafInput);
          if (!leafResult.ok) return fail(leafResult.reason, leafResult.detail, 0);
          const built = buildPath(leafResult.certificate, setup.anchors, setup.intermediates, options.maxLength ?? 6);
          if (!Array.isArray(built)) return built;
          chain = built;
          if (cacheSize > 0) {
            if (paths.size >= cacheSize) paths.delete(paths.keys().next().value!);
            paths.set(key, chain);
          }
        }
        return checkChain(chain, check.at, check.keyUsage ?? []);
      } catch (error) {
        return fail('MALFORMED', error instanceof Error ? error.message : String(error));
      }
    },
  };
}

function prepare(
  anchorInputs: CertificateInput[],
  intermediateInputs: CertificateInput[],
): { anchors: ParsedCertificate[]; intermediates: ParsedCertificate[] } | ChainFailureResult {
  if (anchorInputs.length === 0) return fail('NO_TRUST_ANCHORS', 'no trust anchors are pinned');
  const anchors: ParsedCertificate[] = [];
  for (const input of anchorInputs) {
    const result = parseCertificate(input);
    if (!result.ok) return fail(result.reason, `trust anchor: ${result.detail}`);
    anchors.push(result.certificate);
  }
  const intermediates: ParsedCertificate[] = [];
  for (const input of intermediateInputs) {
    const result = parseCertificate(input);
    if (!result.ok) return fail(result.reason, `intermediate: ${result.detail}`);
    intermediates.push(result.certificate);
  }
  return { anchors, intermediates };
}
