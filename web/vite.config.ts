import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * The dashboard build: `vite build web` runs with this folder as the root and writes
 * `web/dist`, which `vigil server` serves at `/`. In development (`vite web`) API calls go
 * to the server named by VIGIL_URL (default http://127.0.0.1:8080).
 */
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Each page is its own chunk (web/src/pages/index.ts); the sizes that matter are measured
    // gzipped by bench/dashboard.ts.
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: { '/api': process.env.VIGIL_URL ?? 'http://127.0.0.1:8080' },
  },
});
