import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

// The daemon serves dist/ at / and the API at /1.0 on the same origin. In development the API comes from a
// daemon of your own: VESSEL_DEV_API=http://127.0.0.1:18443 npm run dev (see README.md).
const api = process.env.VESSEL_DEV_API ?? "http://127.0.0.1:18443";
const proxy = { "/1.0": { target: api, ws: true, changeOrigin: true } };

export default defineConfig({
  base: "./",
  plugins: [preact({ devToolsInProd: false, prefreshEnabled: true })],
  build: { target: "es2022", chunkSizeWarningLimit: 600 },
  server: {
    host: "127.0.0.1",
    port: 5173,
    proxy,
  },
  preview: {
    host: "127.0.0.1",
    port: 4173,
    proxy,
  },
});
