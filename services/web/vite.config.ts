import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The web UI, built to static files the gateway serves at `/` (services/web/dist).
 * `npm run dev -w services/web` serves it with hot reload and proxies the API to a local gateway
 * (GATEWAY_URL, default the local stack's http://127.0.0.1:8080).
 */
const gateway = process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react(), tailwindcss()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 600 },
  server: {
    host: '127.0.0.1',
    port: 5173,
    // The gateway checks Origin on cookie writes (CSRF): present the gateway's own origin.
    proxy: { '/api': { target: gateway, changeOrigin: true, headers: { origin: gateway } } },
  },
});
