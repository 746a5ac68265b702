import type { StatusDocument } from "./status-schema.ts";

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The status document as one readable page, for a browser: the same facts, the GET endpoints as links. */
export function statusPage(doc: StatusDocument): string {
  const models = doc.models
    ? doc.models.length > 0
      ? `<table><tr><th>Model</th><th>Task</th><th>State</th></tr>${doc.models
          .map((m) => `<tr><td><a href="/v1/models/${encodeURIComponent(m.id)}">${escape(m.id)}</a></td><td>${escape(m.task)}</td><td>${escape(m.state)}</td></tr>`)
          .join("")}</table>`
      : "<p>The registry is empty.</p>"
    : "<p>Send a valid API key (<code>Authorization: Bearer KEY</code>) to see the models.</p>";
  const endpoints = doc.endpoints
    .map((e) => {
      const [method, path] = e.split(" ") as [string, string];
      const shown = `<code>${escape(method)} ${escape(path)}</code>`;
      return `<li>${method === "GET" && !path.includes("{") ? `<a href="${escape(path)}">${shown}</a>` : shown}</li>`;
    })
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>gpt3dev-api</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse}td,th{padding:.2rem .8rem .2rem 0;text-align:left}code{font-size:90%}</style>
</head><body>
<h1>gpt3dev-api</h1>
<p>An OpenAI-compatible server. Version ${escape(doc.version)} (commit ${escape(doc.commit)}), up ${formatUptime(doc.uptime_seconds)}.</p>
<h2>Models</h2>
${models}
<h2>Endpoints</h2>
<ul>${endpoints}</ul>
<p>Point an OpenAI client at <code>/v1</code> of this server.</p>
</body></html>
`;
}

function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${seconds % 60}s` : `${seconds}s`;
}
