/**
 * Vector drawing on a certificate page: the round red seal (the geometry of `renderSealSvg`,
 * redrawn with PDF operators so that it stays sharp and needs no image) and the reviewer's
 * registered signature. The QR code is drawn by `draw-qr.ts`.
 */
import {
  appendBezierCurve,
  BlendMode,
  closePath,
  fill,
  lineTo,
  moveTo,
  popGraphicsState,
  pushGraphicsState,
  rgb,
  setFillingRgbColor,
  setGraphicsState,
  setLineWidth,
  setStrokingRgbColor,
  stroke,
  type PDFDocument,
  type PDFPage,
} from 'pdf-lib';
import type { CertificateFont } from './cjk-font.ts';
import { arcLayout, SEAL_RED } from '../keys/seal-image.ts';

// The seal's drawing, in the 200 × 200 units of seal-image.ts.
const UNITS = 200;
const RING_RADIUS = 94;
const RING_WIDTH = 5;
const TEXT_RADIUS = 71;
const STAR_OUTER = 30;
const STAR_INNER = STAR_OUTER * 0.382;

export const SEAL_COLOR = rgb(
  parseInt(SEAL_RED.slice(1, 3), 16) / 255,
  parseInt(SEAL_RED.slice(3, 5), 16) / 255,
  parseInt(SEAL_RED.slice(5, 7), 16) / 255,
);

export interface SealDrawing {
  name: string;
  bottomText?: string;
  /** Centre of the seal on the page, in points. */
  cx: number;
  cy: number;
  /** Diameter in points (an official seal is 42 mm, about 119 pt). */
  diameter: number;
  font: CertificateFont;
}

/**
 * The seal over whatever is below it. Multiply blending lets the black text beneath show through
 * the red, as ink stamped on a printed page does.
 */
export function drawSeal(page: PDFPage, seal: SealDrawing): void {
  const s = seal.diameter / UNITS;
  const common = { color: SEAL_COLOR, blendMode: BlendMode.Multiply, opacity: 0.92 };
  // The ring: a circle of four Bézier quarters (as drawEllipse draws it, without its overhead).
  const r = RING_RADIUS * s;
  const k = r * 0.5522847498;
  const { cx, cy } = seal;
  const ringState = page.node.newExtGState(
    'GS',
    page.doc.context.register(page.doc.context.obj({ Type: 'ExtGState', CA: 0.92, BM: BlendMode.Multiply })),
  );
  page.pushOperators(
    pushGraphicsState(),
    setGraphicsState(ringState),
    setStrokingRgbColor(SEAL_COLOR.red, SEAL_COLOR.green, SEAL_COLOR.blue),
    setLineWidth(RING_WIDTH * s),
    moveTo(cx - r, cy),
    appendBezierCurve(cx - r, cy + k, cx - k, cy + r, cx, cy + r),
    appendBezierCurve(cx + k, cy + r, cx + r, cy + k, cx + r, cy),
    appendBezierCurve(cx + r, cy - k, cx + k, cy - r, cx, cy - r),
    appendBezierCurve(cx - k, cy - r, cx - r, cy - k, cx - r, cy),
    closePath(),
    stroke(),
    popGraphicsState(),
  );
  // The star: ten points alternating between the outer and inner radius, one point up.
  const ops = [pushGraphicsState(), setFillingRgbColor(SEAL_COLOR.red, SEAL_COLOR.green, SEAL_COLOR.blue)];
  for (let i = 0; i < 10; i++) {
    const r = (i % 2 === 0 ? STAR_OUTER : STAR_INNER) * s;
    const a = (i * Math.PI) / 5;
    const x = seal.cx + r * Math.sin(a);
    const y = seal.cy + r * Math.cos(a);
    ops.push(i === 0 ? moveTo(x, y) : lineTo(x, y));
  }
  ops.push(closePath(), fill(), popGraphicsState());
  // drawSvgPath would do, but raw operators skip parsing a path string for every document.
  page.pushOperators(...ops);

  const chars = [...seal.name.trim()];
  const { stepDeg, fontSize, spanDeg } = arcLayout(chars.length);
  const size = fontSize * s;
  chars.forEach((ch, i) => {
    const deg = -spanDeg / 2 + i * stepDeg; // clockwise from straight up
    const rad = (deg * Math.PI) / 180;
    const px = seal.cx + TEXT_RADIUS * s * Math.sin(rad);
    const py = seal.cy + TEXT_RADIUS * s * Math.cos(rad);
    // The glyph is centred on the arc point with its top towards the rim: its baseline origin,
    // in the glyph's own (rotated) frame, is half a width left and 0.36 em down.
    const w = seal.font.widthOfTextAtSize(ch, size);
    const ox = -w / 2;
    const oy = -size * 0.36;
    const cos = Math.cos(-rad);
    const sin = Math.sin(-rad);
    seal.font.draw(page, ch, { x: px + ox * cos - oy * sin, y: py + ox * sin + oy * cos, size, rotate: -deg, ...common });
  });

  const bottom = seal.bottomText?.trim();
  if (bottom) {
    const bottomSize = Math.min(15, 96 / [...bottom].length) * s;
    const w = seal.font.widthOfTextAtSize(bottom, bottomSize);
    seal.font.draw(page, bottom, { x: seal.cx - w / 2, y: seal.cy - 58 * s, size: bottomSize, ...common });
  }
}

/**
 * The reviewer's registered signature from a data URL: PNG and JPEG as images, SVG as its
 * `<path d>` outlines (the form signature pads produce). Returns false for anything else.
 */
export async function drawSignatureImage(
  doc: PDFDocument,
  page: PDFPage,
  dataUrl: string,
  box: { x: number; y: number; width: number; height: number },
): Promise<boolean> {
  const match = /^data:(image\/(?:png|jpeg|svg\+xml))((?:;[^;,]*)*),(.*)$/s.exec(dataUrl);
  if (!match) return false;
  const [, mime, params = '', data = ''] = match;
  const bytes = params.split(';').includes('base64') ? Buffer.from(data, 'base64') : Buffer.from(decodeURIComponent(data), 'utf8');
  const raw = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (mime === 'image/svg+xml') return drawSvgOutlines(page, bytes.toString('utf8'), box);
  const image = mime === 'image/png' ? await doc.embedPng(raw) : await doc.embedJpg(raw);
  const scale = Math.min(box.width / image.width, box.height / image.height);
  const width = image.width * scale;
  const height = image.height * scale;
  page.drawImage(image, { x: box.x, y: box.y + (box.height - height) / 2, width, height });
  return true;
}

function drawSvgOutlines(page: PDFPage, svg: string, box: { x: number; y: number; width: number; height: number }): boolean {
  const paths = [...svg.matchAll(/<path\b[^>]*?\sd="([^"]+)"[^>]*>/g)].map((m) => ({
    d: m[1]!,
    stroke: /\sstroke="(?!none)/.test(m[0]) && !/\sfill="(?!none)/.test(m[0]),
  }));
  if (paths.length === 0) return false;
  const viewBox = /viewBox="\s*([-\d.]+)[\s,]+([-\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)\s*"/.exec(svg);
  const [vx, vy, vw, vh] = viewBox
    ? viewBox.slice(1).map(Number)
    : [0, 0, Number(/width="([\d.]+)/.exec(svg)?.[1] ?? 300), Number(/height="([\d.]+)/.exec(svg)?.[1] ?? 100)];
  if (!vw || !vh) return false;
  const scale = Math.min(box.width / vw, box.height / vh);
  const x = box.x - (vx ?? 0) * scale;
  const y = box.y + (box.height + vh * scale) / 2 + (vy ?? 0) * scale;
  for (const p of paths) {
    if (p.stroke) page.drawSvgPath(p.d, { x, y, scale, borderColor: rgb(0, 0, 0), borderWidth: 2 * scale });
    else page.drawSvgPath(p.d, { x, y, scale, color: rgb(0, 0, 0) });
  }
  return true;
}
