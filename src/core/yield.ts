/**
 * Lets the event loop run what is waiting (requests' I/O, timers) before going on: for a long
 * CPU-bound loop in a server process (sealing a batch of certificates), which would otherwise hold
 * every request of the process for its whole length. A chain of awaits does not do this: resolved
 * promises run as microtasks, before any I/O callback.
 */
export function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
