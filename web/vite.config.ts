import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
export const WEB_OUT_DIR = fileURLToPath(new URL('../dist/web', import.meta.url));

const INPUTS: Record<string, string> = {
  resident: `${root}index.html`,
  console: `${root}console/index.html`,
  kiosk: `${root}kiosk/index.html`,
  verify: `${root}verify/index.html`,
};
/**
 * `npm run build:web` builds each page on its own (YIBAN_WEB_APP names it), so that no page
 * shares a chunk with another app and preloads its UI library; without it, all four at once.
 */
const only = process.env.YIBAN_WEB_APP;

/** Four pages: resident app (/), staff console, kiosk and the public verifier. */
export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: WEB_OUT_DIR,
    emptyOutDir: !only || only === 'resident',
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
    rolldownOptions: { input: only ? { [only]: INPUTS[only]! } : INPUTS },
  },
});
