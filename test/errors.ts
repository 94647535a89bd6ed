/** The stable error code a promise rejects with, or RESOLVED when it does not reject. */
export async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
  return 'RESOLVED';
}
