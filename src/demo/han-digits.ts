/**
 * A number written with Chinese digits (42 → 四二), for generated demo and test names: a
 * resident's name holds no ASCII digits (`normaliseResidentName`).
 */
export function hanDigits(n: number): string {
  return String(n).replace(/\d/g, (d) => '零一二三四五六七八九'[Number(d)]!);
}
