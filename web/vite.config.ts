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
    // The size that matters is the gzipped total (goal < 500 KB, measured by bench/dashboard.ts);
    // React, recharts and TanStack Table in one chunk load faster than a waterfall of small ones.
    chunkSizeWarningLimit: 1000,
  },
  server: {
    proxy: { '/api': process.env.VIGIL_URL ?? 'http://127.0.0.1:8080' },
  },
});
