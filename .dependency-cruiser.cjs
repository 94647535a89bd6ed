/**
 * Module boundaries (npm run boundaries, in CI): a module is reached from outside through its
 * index.ts only. Exempt: tests (they may set up another module's rows) and src/db/schema.ts (the
 * schema drizzle-kit reads is every module's tables).
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-deep-import',
      comment: 'Import another module through its index.ts (its public surface), not one of its files.',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/', pathNot: ['\\.test\\.ts$'] },
      to: { path: '^src/modules/([^/]+)/', pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'] },
    },
    {
      name: 'no-deep-import-from-outside',
      comment: 'The composition root, HTTP, CLI and demo code use a module through its index.ts too.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/modules/', '\\.test\\.ts$', '^src/db/schema\\.ts$'] },
      to: { path: '^src/modules/[^/]+/', pathNot: ['^src/modules/[^/]+/index\\.ts$'] },
    },
    {
      name: 'no-circular-modules',
      comment: 'Modules form no cycle through their index files.',
      severity: 'warn',
      from: { path: '^src/modules/[^/]+/index\\.ts$' },
      to: { circular: true, path: '^src/modules/[^/]+/index\\.ts$' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|web|test|bench|dist|build)/' },
  },
};
