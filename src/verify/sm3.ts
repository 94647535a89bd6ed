/**
 * SM3 (GB/T 32905-2016), the national hash used with SM2 signatures. Pure TypeScript, no Node
 * imports, so it runs in the browser verifier too. No maintained npm SM3 builds on the current
 * @noble/hashes, and the algorithm is small; the known-answer vectors of the standard pin it.
 */

const IV = new Uint32Array([0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e]);

/** T_j <<< j, precomputed for the 64 rounds. */
const T_ROT = new Uint32Array(64);
for (let j = 0; j < 64; j++) {
  const t = j < 16 ? 0x79cc4519 : 0x7a879d8a;
  const r = j % 32;
  T_ROT[j] = r === 0 ? t : ((t << r) | (t >>> (32 - r))) >>> 0;
}

const rotl = (x: number, n: number): number => (x << n) | (x >>> (32 - n));

/** Incremental SM3 for signing data that arrives in parts (Z ‖ M) without concatenating. */
export class Sm3 {
  private readonly state = new Uint32Array(IV);
  private readonly block = new Uint8Array(64);
  private readonly w = new Int32Array(68);
  private blockLength = 0;
  private totalLength = 0;
  private finished = false;

  update(data: Uint8Array): this {
    if (this.finished) throw new Error('SM3: digest() was already called');
    let offset = 0;
    this.totalLength += data.length;
    if (this.blockLength > 0) {
      const take = Math.min(64 - this.blockLength, data.length);
      this.block.set(data.subarray(0, take), this.blockLength);
      this.blockLength += take;
      offset = take;
      if (this.blockLength < 64) return this;
      this.compress(this.block, 0);
      this.blockLength = 0;
    }
    for (; offset + 64 <= data.length; offset += 64) this.compress(data, offset);
    if (offset < data.length) {
      this.block.set(data.subarray(offset), 0);
      this.blockLength = data.length - offset;
    }
    return this;
  }

  digest(): Uint8Array {
    if (this.finished) throw new Error('SM3: digest() was already called');
    this.finished = true;
    const bitLength = this.totalLength * 8;
    const block = this.block;
    block[this.blockLength++] = 0x80;
    if (this.blockLength > 56) {
      block.fill(0, this.blockLength);
      this.compress(block, 0);
      this.blockLength = 0;
    }
    block.fill(0, this.blockLength);
    const view = new DataView(block.buffer, block.byteOffset, 64);
    // Messages stay far below 2^53 bits; the high word carries what does not fit in 32 bits.
    view.setUint32(56, Math.floor(bitLength / 0x100000000));
    view.setUint32(60, bitLength >>> 0);
    this.compress(block, 0);
    const out = new Uint8Array(32);
    const outView = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) outView.setUint32(i * 4, this.state[i]!);
    return out;
  }

  private compress(data: Uint8Array, offset: number): void {
    const w = this.w;
    for (let i = 0; i < 16; i++) {
      const p = offset + i * 4;
      w[i] = (data[p]! << 24) | (data[p + 1]! << 16) | (data[p + 2]! << 8) | data[p + 3]!;
    }
    for (let j = 16; j < 68; j++) {
      const x = w[j - 16]! ^ w[j - 9]! ^ rotl(w[j - 3]!, 15);
      w[j] = x ^ rotl(x, 15) ^ rotl(x, 23) ^ rotl(w[j - 13]!, 7) ^ w[j - 6]!;
    }
    const s = this.state;
    let a = s[0]! | 0,
      b = s[1]! | 0,
      c = s[2]! | 0,
      d = s[3]! | 0;
    let e = s[4]! | 0,
      f = s[5]! | 0,
      g = s[6]! | 0,
      h = s[7]! | 0;
    // Rounds 0–15 and 16–63 differ only in FF and GG: two loops, no branch per round.
    for (let j = 0; j < 16; j++) {
      const a12 = rotl(a, 12);
      const ss1 = rotl((a12 + e + T_ROT[j]!) | 0, 7);
      const ss2 = ss1 ^ a12;
      const wj = w[j]!;
      const tt1 = ((a ^ b ^ c) + d + ss2 + (wj ^ w[j + 4]!)) | 0;
      const tt2 = ((e ^ f ^ g) + h + ss1 + wj) | 0;
      d = c;
      c = rotl(b, 9);
      b = a;
      a = tt1;
      h = g;
      g = rotl(f, 19);
      f = e;
      e = tt2 ^ rotl(tt2, 9) ^ rotl(tt2, 17);
    }
    for (let j = 16; j < 64; j++) {
      const a12 = rotl(a, 12);
      const ss1 = rotl((a12 + e + T_ROT[j]!) | 0, 7);
      const ss2 = ss1 ^ a12;
      const wj = w[j]!;
      const tt1 = (((a & b) | (a & c) | (b & c)) + d + ss2 + (wj ^ w[j + 4]!)) | 0;
      const tt2 = (((e & f) | (~e & g)) + h + ss1 + wj) | 0;
      d = c;
      c = rotl(b, 9);
      b = a;
      a = tt1;
      h = g;
      g = rotl(f, 19);
      f = e;
      e = tt2 ^ rotl(tt2, 9) ^ rotl(tt2, 17);
    }
    s[0] = s[0]! ^ a;
    s[1] = s[1]! ^ b;
    s[2] = s[2]! ^ c;
    s[3] = s[3]! ^ d;
    s[4] = s[4]! ^ e;
    s[5] = s[5]! ^ f;
    s[6] = s[6]! ^ g;
    s[7] = s[7]! ^ h;
  }
}

/** SM3 of the concatenation of `parts`. */
export function sm3(...parts: Uint8Array[]): Uint8Array {
  const hash = new Sm3();
  for (const part of parts) hash.update(part);
  return hash.digest();
}
