/** The spawned federated nodes of the process tests: the helper lives in src/demo (the federation demo and its benchmark use it too). */
export { cli, freePort, kill, nodeSpec, start, stop, stopAll, until, yiban, type NodeSpec } from '../src/demo/node-processes.ts';
