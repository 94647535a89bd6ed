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
    rolldownOptions: {
      output: {
        // React in a chunk of its own: otherwise the chunk every page shares also takes modules
        // that only the console and the resident app share, and the verifier would preload them.
        codeSplitting: {
          groups: [{ name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/ }],
        },
      },
      input: {
        resident: `${root}index.html`,
        console: `${root}console/index.html`,
        kiosk: `${root}kiosk/index.html`,
        verify: `${root}verify/index.html`,
      },
    },
  },
});
