/**
 * The web UI: the static files of services/web (built by `npm run build`) at `/`, with
 * history-API routing: a page address (/events/123, /admin/stats) that is not a file gets
 * index.html and the app routes it. The API, the docs, health and metrics are never touched.
 * Hashed assets are cached for a year; index.html is revalidated so a deploy shows at once.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** services/gateway/dist/http → services/web/dist (in an image, WEB_DIR says where). */
export const DEFAULT_WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/dist');

const NOT_UI = /^\/(api|healthz|readyz|metrics)(\/|$)/;

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>TickETCD</title></head>
<body style="font-family:system-ui;max-width:40rem;margin:4rem auto;padding:0 1rem">
<h1>TickETCD</h1><p>The web UI is not built. Run <code>npm run build</code> and reload; the API is at <a href="/api/docs">/api/docs</a>.</p></body></html>`;

export function webUi(webDir: string) {
  const index = path.join(webDir, 'index.html');
  const assets = express.static(webDir, {
    index: false,
    fallthrough: true,
    setHeaders(res, file) {
      res.setHeader('Cache-Control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  return function serveWebUi(req: Request, res: Response, next: NextFunction) {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || NOT_UI.test(req.path)) return next();
    assets(req, res, () => {
      // Not a file: a page of the app, or a missing asset (a 404, not the app's HTML).
      if (req.path.startsWith('/assets/') || !req.accepts('html')) return next();
      res.setHeader('Cache-Control', 'no-cache');
      if (!fs.existsSync(index)) return res.status(503).type('html').send(NOT_BUILT);
      res.sendFile(index);
    });
  };
}
