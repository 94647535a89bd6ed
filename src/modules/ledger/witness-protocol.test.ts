import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCheckpoint } from '../../verify/checkpoint.ts';
import { cosignatureTimestamp, parseNote } from '../../verify/signed-note.ts';
import { encodeBase64 } from '../../verify/tlog-bytes.ts';
import { formatAddCheckpointBody, parseAddCheckpointBody, parseTlogSize } from './witness-protocol.ts';

// C2SP tlog-witness (https://c2sp.org/tlog-witness), "add-checkpoint": the example request body.
const SPEC_REQUEST = `old 20852014
PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=
5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=
/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=

example.com/behind-the-sofa
20852163
CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
— example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=
`;

// C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature): the example's cosignature, whose
// signed message the same document shows with "time 1679315147".
const SPEC_COSIGNATURE =
  '— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==';

describe('tlog-witness add-checkpoint wire format', () => {
  it("parses the spec's example request and writes it back byte for byte", () => {
    const request = parseAddCheckpointBody(SPEC_REQUEST)!;
    expect(request.oldSize).toBe(20852014);
    expect(request.proof.map(encodeBase64)).toEqual([
      'PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=',
      'jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=',
      '5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=',
      '/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=',
    ]);
    const note = parseNote(request.note)!;
    expect(parseCheckpoint(note.text)).toMatchObject({ origin: 'example.com/behind-the-sofa', size: 20852163 });
    expect(note.signatures).toHaveLength(2);
    expect(formatAddCheckpointBody(request)).toBe(SPEC_REQUEST);
  });

  it("reads the time of the spec's example cosignature", () => {
    const note = parseNote(`example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n${SPEC_COSIGNATURE}\n`)!;
    expect(cosignatureTimestamp(note.signatures[0]!.signature)).toBe(1679315147);
  });

  it('refuses what the spec forbids', () => {
    const tail = SPEC_REQUEST.slice(SPEC_REQUEST.indexOf('\n\n'));
    for (const bad of [
      `old 020852014${tail}`, // leading zero
      `old -1${tail}`,
      `old  5${tail}`,
      `Old 5${tail}`,
      `old 5\nnot-base64${tail}`,
      `old 5\n${encodeBase64(new Uint8Array(31))}${tail}`, // not a hash
      `old 5\n${Array.from({ length: 64 }, () => encodeBase64(new Uint8Array(32))).join('\n')}${tail}`, // 64 > 63 lines
      'old 5\n', // no blank line
    ]) {
      expect(parseAddCheckpointBody(bad), bad.slice(0, 30)).toBeNull();
    }
    expect(parseAddCheckpointBody(`old 0${tail}`)?.oldSize).toBe(0);
    expect(parseTlogSize('12\n')).toBe(12);
    for (const bad of ['12', '012\n', '-1\n', ' 1\n', '1\n\n']) expect(parseTlogSize(bad)).toBeNull();
  });

  it('round-trips any request (property)', () => {
    const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.array(hash, { maxLength: 63 }), (oldSize, proof) => {
        const note = 'log.example/x\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n— log.example/x AAAAAAAA\n';
        const parsed = parseAddCheckpointBody(formatAddCheckpointBody({ oldSize, proof, note }))!;
        expect(parsed.oldSize).toBe(oldSize);
        expect(parsed.proof).toEqual(proof);
        expect(parsed.note).toBe(note);
      }),
    );
  });
});
