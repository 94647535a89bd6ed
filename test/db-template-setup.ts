import type { TestProject } from 'vitest/node';
import { startDbTemplates } from './db-template.ts';

/**
 * Global setup of the unit, service and API tests: the template databases (test/db-template.ts),
 * built in the background from before the first file runs (files that use no database do not
 * wait for them) and removed after the last.
 */
export default function setup(project: TestProject): () => Promise<void> {
  const started = performance.now();
  const { templates, built, remove } = startDbTemplates();
  built.then(
    () => console.error(`测试模板数据库已建 / template databases built in ${((performance.now() - started) / 1000).toFixed(1)} s`),
    (error: unknown) => console.error('测试模板数据库未能建成 / the template databases could not be built:', error),
  );
  project.provide('dbTemplates', templates);
  return remove;
}
