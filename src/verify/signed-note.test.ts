import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { assert, describe, expect, it } from 'vitest';
import { formatCheckpoint, openCheckpoint, parseCheckpoint } from './checkpoint.ts';
import {
  cosignatureSigner,
  cosignatureTimestamp,
  ed25519Signer,
  formatVerifierKey,
  KEY_TYPE_COSIGNATURE_V1,
  openNote,
  parseNote,
  parseVerifierKey,
  signNote,
} from './signed-note.ts';
import { decodeBase64, encodeBase64 } from './tlog-bytes.ts';

// golang.org/x/mod/sumdb/note, note.go package documentation and note_test.go: the example key
// pair and the note it signs. Ed25519 is deterministic, so signing must reproduce it exactly.
const GO_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const GO_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

// A real checkpoint of the transparency.dev staging CT log arche2025h1, as cosigned by public
// witnesses (quoted in the tests of a Python tlog client): the log's Ed25519 signature (type
// 0x01) and the remora.n621.de witness's cosignature/v1 (type 0x04) must verify with their vkeys.
const ARCHE_CHECKPOINT = `arche2025h1.staging.ct.transparency.dev
1432088532
U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=

— arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=
— arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=
— transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==
— witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==
— remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==
— witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==
`;
const ARCHE_VKEY = 'arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f';
const REMORA_VKEY = 'remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2';

function goSigner() {
  const raw = decodeBase64(GO_SKEY.split('+').slice(4).join('+'))!;
  return ed25519Signer('PeterNeumann', raw.slice(1));
}

describe('signed notes', () => {
  it('reproduces the Go sumdb/note example byte for byte and opens it', () => {
    const signer = goSigner();
    expect(signer.vkey).toBe(GO_VKEY);
    expect(signNote(GO_TEXT, [signer])).toBe(GO_NOTE);
    const opened = openNote(GO_NOTE, [parseVerifierKey(GO_VKEY)!]);
    expect(opened.ok && opened.text).toBe(GO_TEXT);
  });

  it('rejects a changed text, a wrong key and malformed notes', () => {
    const peter = parseVerifierKey(GO_VKEY)!;
    const other = ed25519Signer('PeterNeumann', new Uint8Array(32).fill(7));
    expect(openNote(GO_NOTE.replace('cryptography', 'cryptographY'), [peter])).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
    // Same name, another key: the key hash differs, so the signature is simply not from a known key.
    expect(openNote(GO_NOTE, [parseVerifierKey(other.vkey)!])).toMatchObject({ ok: false, reason: 'UNVERIFIED' });
    for (const bad of [
      '',
      GO_TEXT,
      GO_NOTE.replace('\n\n', '\n'),
      GO_NOTE.slice(0, -1),
      GO_NOTE.replace('— ', '-- '),
      GO_NOTE + 'junk\n',
      'a\u0001\n\n' + GO_NOTE.split('\n\n')[1],
    ]) {
      expect(openNote(bad, [peter]).ok, JSON.stringify(bad)).toBe(false);
    }
  });

  it('rejects any single-character change to the signed text', () => {
    const peter = parseVerifierKey(GO_VKEY)!;
    fc.assert(
      fc.property(fc.nat({ max: GO_TEXT.length - 2 }), fc.constantFrom('x', 'Y', ' ', '.'), (at, ch) => {
        fc.pre(GO_TEXT[at] !== ch && GO_TEXT[at] !== '\n');
        const changed = GO_TEXT.slice(0, at) + ch + GO_TEXT.slice(at + 1) + GO_NOTE.slice(GO_TEXT.length);
        return !openNote(changed, [peter]).ok;
      }),
      { numRuns: 60 },
    );
  });

  it('parses vkeys strictly', () => {
    expect(parseVerifierKey(GO_VKEY)?.name).toBe('PeterNeumann');
    expect(parseVerifierKey(GO_VKEY.replace('c74f20a3', 'c74f20a4'))).toBeNull();
    expect(parseVerifierKey(GO_VKEY.slice(0, -2))).toBeNull();
    expect(parseVerifierKey('Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toBeNull();
    expect(parseVerifierKey('nope')).toBeNull();
  });
});

describe('checkpoints and cosignatures', () => {
  it('verifies a real cosigned checkpoint of a public log (Ed25519 log key, cosignature/v1 witness)', () => {
    const opened = openCheckpoint(ARCHE_CHECKPOINT, ARCHE_VKEY, { vkeys: [REMORA_VKEY], threshold: 1 });
    expect(opened).toMatchObject({ ok: true, witnesses: ['remora.n621.de'] });
    assert(opened.ok);
    expect(opened.checkpoint.size).toBe(1432088532);
    const remora = parseNote(ARCHE_CHECKPOINT)!.signatures.find((s) => s.name === 'remora.n621.de')!;
    expect(cosignatureTimestamp(remora.signature)).toBe(1779573024);
    const clobbered = ARCHE_CHECKPOINT.replace('1432088532', '42');
    expect(openCheckpoint(clobbered, ARCHE_VKEY)).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
  });

  it('round-trips our own checkpoints and cosignatures', () => {
    const log = ed25519Signer('yiban.test/ledger', new Uint8Array(32).fill(1));
    const witnessSeed = new Uint8Array(32).fill(2);
    const witness = cosignatureSigner('dept.example/witness', witnessSeed, () => 1_700_000_000);
    const body = formatCheckpoint({ origin: 'yiban.test/ledger', size: 12, rootHash: new Uint8Array(32).fill(9), extensions: [] });
    expect(parseCheckpoint(body)).toMatchObject({ origin: 'yiban.test/ledger', size: 12 });
    const note = signNote(body, [log, witness]);
    expect(openCheckpoint(note, log.vkey, { vkeys: [witness.vkey], threshold: 1 })).toMatchObject({
      ok: true,
      witnesses: ['dept.example/witness'],
    });
    expect(openCheckpoint(note, log.vkey, { vkeys: [], threshold: 1 })).toMatchObject({ ok: false, reason: 'NOT_ENOUGH_WITNESSES' });
    expect(openCheckpoint(note.replace('\n12\n', '\n13\n'), log.vkey)).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
    expect(openCheckpoint(note, witness.vkey)).toMatchObject({ ok: false, reason: 'UNKNOWN_LOG_KEY' });
    const wrongOrigin = signNote(body.replace('yiban.test/ledger', 'elsewhere/ledger'), [log]);
    expect(openCheckpoint(wrongOrigin, log.vkey)).toMatchObject({ ok: false, reason: 'ORIGIN_MISMATCH' });
    // The witness key is of type 0x04 and its vkey says so.
    expect(witness.vkey).toBe(formatVerifierKey('dept.example/witness', KEY_TYPE_COSIGNATURE_V1, ed25519.getPublicKey(witnessSeed)));
    expect(decodeBase64(witness.vkey.split('+')[2]!)![0]).toBe(4);
  });

  it('parses checkpoint bodies strictly', () => {
    const root = encodeBase64(new Uint8Array(32));
    expect(parseCheckpoint(`o\n0\n${root}\n`)).not.toBeNull();
    expect(parseCheckpoint(`o\n0\n${root}\next\n`)?.extensions).toEqual(['ext']);
    for (const bad of [`o\n01\n${root}\n`, `o\n-1\n${root}\n`, `o\n1\n${root}`, `o\n1\nAAAA\n`, `\n1\n${root}\n`, `o\n1\n${root}\n\n`]) {
      expect(parseCheckpoint(bad), JSON.stringify(bad)).toBeNull();
    }
  });
});
