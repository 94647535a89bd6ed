/**
 * The round red official seal (公章) as SVG, drawn from the org's name: a red ring, the name
 * along the upper arc with each character placed and rotated on its own (tops facing the rim,
 * reading clockwise from the lower left), a five-pointed star in the centre and, optionally, a
 * horizontal line below it (e.g. 电子证明专用章). Pure vector; the text uses a CJK font
 * fallback list, so the SVG needs no font file of its own.
 */
import { message } from '../../../core/messages.ts';
import { AppError } from '../../../core/errors.ts';

export interface SealImageOptions {
  /** The org's name, 2–25 characters. */
  name: string;
  /** A horizontal line under the star, up to 12 characters. */
  bottomText?: string;
  /** Width and height in px (the drawing itself is 200 × 200 user units). */
  size?: number;
  color?: string;
}

export const SEAL_RED = '#d7000f';
export const SEAL_FONT_FAMILY =
  "'SimSun','宋体','STSong','Songti SC','Noto Serif CJK SC','Source Han Serif SC','Noto Serif SC','FangSong','Noto Sans CJK SC','Source Han Sans SC','WenQuanYi Zen Hei','Microsoft YaHei',serif";

const C = 100; // centre
const RING_RADIUS = 94;
const RING_WIDTH = 5;
const TEXT_RADIUS = 71; // where the characters' centres sit
const STAR_OUTER = 30;
const STAR_INNER = STAR_OUTER * 0.382; // regular pentagram: inner/outer = 1/φ²

const round = (n: number) => Math.round(n * 100) / 100;

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!);
}

/** The star's path: ten points alternating between the outer and inner radius, one point up. */
export function starPath(cx = C, cy = C, outer = STAR_OUTER, inner = STAR_INNER): string {
  const points: string[] = [];
  for (let i = 0; i < 10; i++) {
    const r = i % 2 === 0 ? outer : inner;
    const angle = (i * Math.PI) / 5; // from straight up, clockwise
    points.push(`${round(cx + r * Math.sin(angle))} ${round(cy - r * Math.cos(angle))}`);
  }
  return `M${points.join('L')}Z`;
}

/**
 * Angle step and font size for `count` characters: short names are spread with generous gaps
 * over a smaller arc; long ones fill up to 240° with smaller characters.
 */
export function arcLayout(count: number): { stepDeg: number; fontSize: number; spanDeg: number } {
  // Up to 240°, which leaves the bottom free for the horizontal line; characters sit 30° apart
  // until the name is long enough to need the whole arc (and two characters 60°).
  const maxSpan = 240;
  const stepDeg = count <= 1 ? 0 : Math.min(maxSpan / (count - 1), Math.max(30, 60 / (count - 1)));
  const chord = TEXT_RADIUS * ((stepDeg * Math.PI) / 180); // arc length between centres
  const fontSize = Math.min(26, Math.max(9, chord * (count <= 1 ? 1 : 0.9)));
  return { stepDeg, fontSize: round(count <= 1 ? 26 : fontSize), spanDeg: stepDeg * (count - 1) };
}

export function renderSealSvg(options: SealImageOptions): string {
  const chars = [...options.name.trim()];
  if (chars.length < 2 || chars.length > 25) {
    throw new AppError('VALIDATION_FAILED', { detail: message('certificates.seal.nameLength') });
  }
  const bottom = options.bottomText ? [...options.bottomText.trim()] : [];
  if (bottom.length > 12)
    throw new AppError('VALIDATION_FAILED', {
      detail: message('certificates.seal.bottomLength'),
    });
  const color = options.color ?? SEAL_RED;
  if (!/^#[0-9a-fA-F]{3,8}$/.test(color)) throw new AppError('VALIDATION_FAILED', { detail: 'color' });
  const size = options.size ?? 200;

  const { stepDeg, fontSize, spanDeg } = arcLayout(chars.length);
  const nameGlyphs = chars.map((ch, i) => {
    const deg = -spanDeg / 2 + i * stepDeg;
    const rad = (deg * Math.PI) / 180;
    const x = round(C + TEXT_RADIUS * Math.sin(rad));
    const y = round(C - TEXT_RADIUS * Math.cos(rad));
    // Rotating by the angle turns the character's top towards the rim; the baseline sits a
    // little below the centre line so that the glyph is centred on the arc.
    return `<text transform="translate(${x} ${y}) rotate(${round(deg)})" y="${round(fontSize * 0.36)}" font-size="${fontSize}">${escapeXml(ch)}</text>`;
  });

  let bottomLine = '';
  if (bottom.length) {
    // At most 96 units wide and low enough to stay clear of the arc's ends (±120°).
    const bottomSize = round(Math.min(15, 96 / bottom.length));
    bottomLine = `<text x="${C}" y="${C + 58}" font-size="${bottomSize}">${escapeXml(bottom.join(''))}</text>`;
  }

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 200 200" role="img" aria-label="${escapeXml(options.name)}">`,
    `<title>${escapeXml(options.name)}</title>`,
    `<g fill="${color}" stroke="none">`,
    `<circle cx="${C}" cy="${C}" r="${RING_RADIUS}" fill="none" stroke="${color}" stroke-width="${RING_WIDTH}"/>`,
    `<path d="${starPath()}"/>`,
    `<g font-family="${escapeXml(SEAL_FONT_FAMILY)}" font-weight="bold" text-anchor="middle">`,
    ...nameGlyphs,
    ...(bottomLine ? [bottomLine] : []),
    '</g>',
    '</g>',
    '</svg>',
  ].join('\n');
}
