// Types of system-tools.mjs (plain JavaScript so that it runs before `npm install`).
export interface SystemTool {
  package: string;
  commands?: string[];
  files?: string[];
  why: string;
}
export const SYSTEM_TOOLS: readonly SystemTool[];
export function onPath(name: string, envPath?: string): boolean;
export function missingPackages(probe?: {
  hasCommand?: (name: string) => boolean;
  hasFile?: (file: string) => boolean;
  tools?: readonly SystemTool[];
}): string[];
export function missingMessage(missing: string[], reason: string): string;
export type SystemToolsPlan = { action: 'none' } | { action: 'install'; commands: string[][] } | { action: 'stop'; message: string };
export function planSystemTools(situation: {
  missing: string[];
  isRoot: boolean;
  hasAptGet: boolean;
  installAllowed: boolean;
}): SystemToolsPlan;
export function preflight(options?: { installAllowed: boolean; log?: (message: string) => void }): number;
