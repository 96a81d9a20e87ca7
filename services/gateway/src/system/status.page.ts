import type { ServiceInstances } from './system.service.js';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:48rem;color:#1b1f24;padding:0 1rem}
h1{margin-bottom:.2rem}p.lead{color:#57606a;margin-top:0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.6rem;border-bottom:1px solid #d0d7de;vertical-align:top}
ul{margin:.3rem 0 0;padding-left:1.2rem;font-size:.9rem;color:#57606a}.up{color:#1a7f37;font-weight:600}.down{color:#cf222e;font-weight:600}
</style>`;

const page = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title>
${STYLE}</head><body>
${body}
</body></html>`;

/** The public root page until the web UI lands: what this is and where the API is; nothing about the machines. */
export function renderLandingPage(): string {
  return page(
    'TickETCD',
    `<h1>TickETCD</h1><p class="lead">Ticket sales that never oversell. The web UI is on its way.</p>
<p>Meanwhile everything works through the HTTP API: <a href="/api/docs">/api/docs</a> describes every route, with examples.</p>
<p>Admins: <a href="/admin/status">service status</a>.</p>`,
  );
}

/** The admin's status page: live instances with host, pid and port (admins only: issue 13.10). */
export function renderStatusPage(services: ServiceInstances[]): string {
  const rows = services
    .map((s) => {
      const state =
        s.instances.length > 0 ? `<span class="up">${s.instances.length} live</span>` : '<span class="down">none running</span>';
      const list = s.instances
        .map(
          (i) =>
            `<li><code>${esc(i.instanceId)}</code> on ${esc(i.host)} pid ${esc(i.pid)} port ${esc(i.httpPort)}, since ${esc(i.startedAt)}</li>`,
        )
        .join('');
      return `<tr><th>${esc(s.service)}</th><td>${state}<ul>${list}</ul></td></tr>`;
    })
    .join('');
  return page(
    'TickETCD: status',
    `<h1>TickETCD status</h1><p class="lead">Live service instances (from <code>svc:</code> keys):</p>
<table>${rows}</table>
<p><a href="/api/system/instances">/api/system/instances</a> · <a href="/api/admin/cluster">/api/admin/cluster</a></p>`,
  );
}
