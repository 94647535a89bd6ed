/**
 * A resident named in a signed node message: the ID number itself travels inside the signed body
 * (never a keyed hash: each node keys ID numbers under its own master key), and the receiver keys
 * it under its own key at once, keeping only that. Views and logs show it masked.
 */
import { AppError } from '../../core/errors.ts';
import { maskResidentId } from '../identity/index.ts';

const ID_SHAPE = /^[0-9]{17}[0-9X]$/;

/** The ID number as it goes into a message payload (normalised; its check digit is the receiver's to check). */
export function residentIdForMessage(residentId: string): string {
  const id = residentId.trim().toUpperCase();
  if (!ID_SHAPE.test(id)) throw new AppError('FEDERATION_BAD_MESSAGE', { detail: 'residentId is an 18-character ID number' });
  return id;
}

/** The receiver's side: the keyed hash under this node's key (null for an invalid number) and the masked form. */
export function keyResidentAtReceiver(
  residents: { residentKey(residentId: string): string | null },
  value: unknown,
): { key: string | null; masked: string } {
  if (typeof value !== 'string' || !ID_SHAPE.test(value)) throw new AppError('FEDERATION_BAD_MESSAGE', { detail: 'residentId' });
  return { key: residents.residentKey(value), masked: maskResidentId(value) };
}
