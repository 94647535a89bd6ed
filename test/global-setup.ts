import { preflight } from '../scripts/system-tools.mjs';
import { buildWeb, isWebBuildFresh } from '../src/cli/web-build.ts';

/**
 * Before any test file runs: the system tools are there (`scripts/system-tools.mjs`, checked
 * only; `npm test` installs them first), and the web apps are built once. Test files run in
 * parallel processes, and several of them (the browser tests, the budget test) need the build:
 * each building it on its own would empty and rewrite dist/web under the others' feet.
 */
export default async function setup(): Promise<void> {
  if (preflight({ installAllowed: false }) !== 0) {
    throw new Error('系统工具不全，测试未运行 / system tools missing, no test was run (see the message above)');
  }
  if (isWebBuildFresh()) return;
  console.error('构建网页 / building the web apps for the tests (vite build)…');
  await buildWeb();
}
