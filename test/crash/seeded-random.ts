/**
 * The crash tests' randomness, seeded so that a failing run's choices can be replayed: the seed
 * comes from the named environment variable or the clock, and the tests print it.
 */
export function crashSeed(variable: string): number {
  const given = process.env[variable];
  if (given === undefined || given === '') return Date.now() % 2 ** 31;
  const seed = Number(given);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`${variable} must be a non-negative integer, not ${given}`);
  return seed;
}

/** mulberry32: a small seeded generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A crash test's bound (kills, events, a time budget): `variable` when set, else the unit suite's
 * `short` value, or `long` with YIBAN_LONG_TESTS=1 (the sizes the suite ran before it was cut for
 * CI time; bench/ and longer local runs raise the variables further).
 */
export function crashBound(variable: string, short: number, long: number): number {
  const given = process.env[variable];
  if (given !== undefined && given !== '') return Number(given);
  return process.env.YIBAN_LONG_TESTS === '1' ? long : short;
}
