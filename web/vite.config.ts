import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
export const WEB_OUT_DIR = fileURLToPath(new URL('../dist/web', import.meta.url));

/** Four pages, one build: resident app (/), staff console, kiosk and the public verifier. */
export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: WEB_OUT_DIR,
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      input: {
        resident: `${root}index.html`,
        console: `${root}console/index.html`,
        kiosk: `${root}kiosk/index.html`,
        verify: `${root}verify/index.html`,
      },
    },
  },
});
