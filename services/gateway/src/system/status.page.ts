import type { ServiceInstances } from './system.service.js';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function renderStatusPage(services: ServiceInstances[]): string {
  const rows = services
    .map((s) => {
      const state = s.instances.length > 0 ? `<span class="up">${s.instances.length} live</span>` : '<span class="down">none running</span>';
      const list = s.instances.map((i) => `<li><code>${esc(i.instanceId)}</code> since ${esc(i.startedAt)}</li>`).join('');
      return `<tr><th>${esc(s.service)}</th><td>${state}<ul>${list}</ul></td></tr>`;
    })
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>TickETCD</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:48rem;color:#1b1f24;padding:0 1rem}
h1{margin-bottom:.2rem}p.lead{color:#57606a;margin-top:0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.6rem;border-bottom:1px solid #d0d7de;vertical-align:top}
ul{margin:.3rem 0 0;padding-left:1.2rem;font-size:.9rem;color:#57606a}.up{color:#1a7f37;font-weight:600}.down{color:#cf222e;font-weight:600}
</style></head><body>
<h1>TickETCD</h1><p class="lead">The stack is running. Live service instances (from <code>svc:</code> keys):</p>
<table>${rows}</table>
<p><a href="/api/system/instances">/api/system/instances</a> · <a href="/readyz">/readyz</a> · <a href="/metrics">/metrics</a></p>
</body></html>`;
}
