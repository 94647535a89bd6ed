import type { TestProject } from 'vitest/node';
import { buildDbTemplates } from './db-template.ts';

/**
 * Global setup of the unit, service and API tests: the template databases (test/db-template.ts),
 * made once before the files run and removed after them.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = performance.now();
  const { templates, remove } = await buildDbTemplates();
  console.error(`测试模板数据库已建 / template databases built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  project.provide('dbTemplates', templates);
  return remove;
}
