/**
 * The web UI: the static files of services/web (built by `npm run build`) at `/`, with
 * history-API routing: a page address (/events/123, /admin/stats) that is not a file gets
 * index.html and the app routes it. The API, the docs, health and metrics are never touched.
 * Hashed assets are cached for a year; index.html is revalidated so a deploy shows at once.
 * Served on the Node request and response with serve-static and send (what Express's static
 * files and `res.sendFile` are made of), so the files' headers, 304s and ranges are as before.
 */
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import send from 'send';
import serveStatic from 'serve-static';

/** services/gateway/dist/http → services/web/dist (in an image, WEB_DIR says where). */
export const DEFAULT_WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/dist');

const NOT_UI = /^\/(api|healthz|readyz|metrics)(\/|$)/;

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>TickETCD</title></head>
<body style="font-family:system-ui;max-width:40rem;margin:4rem auto;padding:0 1rem">
<h1>TickETCD</h1><p>The web UI is not built. Run <code>npm run build</code> and reload; the API is at <a href="/api/docs">/api/docs</a>.</p></body></html>`;

/**
 * Whether an Accept header takes HTML (Express's `req.accepts('html')`): its most specific match
 * has q > 0. `named`: only when it names text/html or text/* (a browser's navigation does;
 * curl's, fetch's and the kubelet's probes' any-type Accept does not).
 */
export function acceptsHtml(accept: string | undefined, named = false): boolean {
  if (accept === undefined) return !named;
  let best = -1;
  let q = 0;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.split(';');
    const t = type.trim().toLowerCase();
    const specificity = t === 'text/html' ? 2 : t === 'text/*' ? 1 : t === '*/*' ? 0 : -1;
    if (specificity <= best) continue;
    best = specificity;
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    q = qp === undefined ? 1 : Number(qp.slice(2));
  }
  return best >= (named ? 1 : 0) && q > 0;
}

/**
 * Serves a request of the UI: a file, or index.html for a page of the app. Anything else (another
 * method, the API, a missing asset, a client that does not ask for HTML) goes on to `next`.
 */
export function webUi(webDir: string) {
  const index = path.join(webDir, 'index.html');
  const assets = serveStatic(webDir, {
    index: false,
    fallthrough: true,
    setHeaders(res, file) {
      res.setHeader('Cache-Control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  return function serveWebUi(req: IncomingMessage, res: ServerResponse, pathname: string, next: (err?: Error) => void): void {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || NOT_UI.test(pathname)) return next();
    assets(req, res, (err?: unknown) => {
      if (err) return next(err as Error);
      // Not a file: a page of the app, or a missing asset (a 404, not the app's HTML). A page other
      // than the root only for a client that names HTML: a probe at a mistyped path (the kubelet
      // accepts any type) gets a 404, not the app's 200 (found by booting the chart, issue 30).
      if (pathname.startsWith('/assets/') || !acceptsHtml(req.headers.accept, pathname !== '/')) return next();
      res.setHeader('Cache-Control', 'no-cache');
      if (!fs.existsSync(index)) {
        res.statusCode = 503;
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        res.setHeader('Content-Length', Buffer.byteLength(NOT_BUILT));
        res.end(req.method === 'HEAD' ? undefined : NOT_BUILT);
        return;
      }
      // As Express's res.sendFile: send takes a URL path.
      send(req, encodeURI(index))
        .on('error', (e: Error) => next(e))
        .on('directory', () => next())
        .pipe(res);
    });
  };
}
