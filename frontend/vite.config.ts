import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// The backend serves dist/ at "/" (with an index.html fallback for client-side routes);
// in development, Vite serves the app and forwards /api to the FastAPI server.
export default defineConfig({
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // plotly.js-dist-min is one ~4.8 MB prebuilt file loaded lazily on the experiment page;
    // it cannot be split further, so only warn for chunks larger than it.
    chunkSizeWarningLimit: 5000,
  },
  server: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:8000', changeOrigin: false },
    },
  },
  preview: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:8000', changeOrigin: false },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
