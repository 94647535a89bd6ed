import { describe, expect, it } from 'vitest';
import { envelopeProblem } from './envelope.ts';
import { newMsgid } from './hospital-client.ts';

describe('newMsgid', () => {
  it('never repeats within a second, however many messages the hospital sends, and passes the envelope check', () => {
    const at = new Date('2026-09-01T08:00:00Z');
    const ids = Array.from({ length: 10_000 }, () => newMsgid('H45010300100', at));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toMatch(/^H4501030010020260901080000\d{4}[0-9a-f]{6}$/);
    const envelope = {
      infno: '2001',
      msgid: ids[0],
      mdtrtarea_admvs: '450103',
      insuplc_admdvs: '450800',
      fixmedins_code: 'H45010300100',
      inf_time: at.toISOString(),
      input: {},
    };
    expect(envelopeProblem(envelope)).toBeNull();
  });
});
