import { serializeItem, serializeList, type InnerList, type Parameters } from 'structured-headers';
import { plainParameters } from './http-signature-fields.ts';
import { SignatureError } from './http-signatures.ts';

/**
 * The RFC 9421 signature base (§2.5) of this profile's components, built directly: the derived
 * components `@method`, `@target-uri` and `@status`, plain header fields, and the request's own
 * signature (`"signature";req;key="sig"`, the `sig` member of the request's Signature field, as a
 * byte sequence). The general library (`http-message-signatures`) rebuilds the same base for any
 * component list; the tests check that both give the same bytes and accept each other's
 * signatures. This one parses nothing but the request's Signature member, so signing and
 * verifying a window transaction costs a fraction of the library's way (bench/insurance-window.ts).
 */

export interface BaseContext {
  method?: string;
  url?: string;
  status?: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** The request's `sig` signature value, for `"signature";req;key="sig"`. */
  requestSignature?: Uint8Array;
}

/** A component identifier of the profile as an inner-list item: a name with optional parameters. */
export type Component = readonly [name: string, params: Parameters];

/** The profile's component lists (http-signatures.ts REQUEST_COMPONENTS, RESPONSE_COMPONENTS) as items. */
export function componentItem(component: string): Component {
  if (!component.startsWith('"')) return [component, new Map()];
  // `"signature";req;key="sig"`: the only quoted form of the profile.
  const match = /^"([a-z0-9@-]+)"((?:;[a-z]+(?:="[a-z0-9]+")?)*)$/.exec(component);
  if (!match) throw new Error(`not a component of the profile: ${component}`);
  const params: Parameters = new Map();
  for (const part of match[2]!.split(';').slice(1)) {
    const [key, value] = part.split('=');
    params.set(key!, value === undefined ? true : value.slice(1, -1));
  }
  return [match[1]!, params];
}

function componentValue([name, params]: Component, ctx: BaseContext): string {
  switch (name) {
    case '@method':
      if (!ctx.method) break;
      return ctx.method.toUpperCase();
    case '@target-uri':
      if (!ctx.url) break;
      return ctx.url;
    case '@status':
      if (ctx.status === undefined) break;
      return String(ctx.status);
    case 'signature':
      if (!params.has('req') || !ctx.requestSignature) break;
      return `:${Buffer.from(ctx.requestSignature.buffer, ctx.requestSignature.byteOffset, ctx.requestSignature.byteLength).toString('base64')}:`;
    default: {
      const value = ctx.headers[name];
      if (value === undefined) break;
      return value.trim().replace(/\n\s*/g, ' ');
    }
  }
  throw new SignatureError('SIGNATURE_MALFORMED', `the message has no ${name}`);
}

/** Each component's identifier as serialized (`"@method"`, `"signature";req;key="sig"`), kept per component. */
const identifiers = new WeakMap<Component, string>();
function identifier(c: Component): string {
  let id = identifiers.get(c);
  if (id === undefined) identifiers.set(c, (id = serializeItem([c[0], c[1]])));
  return id;
}

/** The covered components as an inner list without parameters: `("@method" "@target-uri" …)`, kept per list. */
const covered = new WeakMap<readonly Component[], string>();
export function coveredList(components: readonly Component[]): string {
  let list = covered.get(components);
  if (list === undefined) covered.set(components, (list = `(${components.map(identifier).join(' ')})`));
  return list;
}

/** The serialized `@signature-params` (also the Signature-Input member's value). */
export function signatureParams(components: readonly Component[], params: Parameters): string {
  const plain = plainParameters(params);
  if (plain !== null) return coveredList(components) + plain;
  const inner: InnerList = [components.map(([name, p]) => [name, p]), params];
  return serializeList([inner]);
}

/** The signature base: one line per component, then `"@signature-params"`. */
export function signatureBase(components: readonly Component[], serializedParams: string, ctx: BaseContext): Buffer {
  let base = '';
  for (const c of components) base += `${identifier(c)}: ${componentValue(c, ctx)}\n`;
  return Buffer.from(`${base}"@signature-params": ${serializedParams}`);
}
