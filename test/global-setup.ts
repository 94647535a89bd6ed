import { buildWeb, isWebBuildFresh } from '../src/cli/web-build.ts';

/**
 * Builds the web apps once, before any test file runs. Test files run in parallel processes, and
 * several of them (the browser tests, the budget test) need the build: each building it on its own
 * would empty and rewrite dist/web under the others' feet.
 */
export default async function setup(): Promise<void> {
  if (isWebBuildFresh()) return;
  console.error('构建网页 / building the web apps for the tests (vite build)…');
  await buildWeb();
}
