/** Tests and benchmarks start external department processes with the demo's helper. */
export * from '../src/modules/sharing/department-process.ts';
