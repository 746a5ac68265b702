/**
 * A hub-compatible static file server for tests: serves local model folders at `/{repo}/resolve/{revision}/{path}`
 * (GET and HEAD, Range, Content-Length, ETag, X-Repo-Commit, the hub's X-Error-Code on 404s) and the listing API
 * (`/api/models/{repo}/tree/{revision}`, paged with a Link header, and `/api/models/{repo}/revision/{revision}` with
 * `siblings`), counts requests, and misbehaves on purpose (token required, 401, 404 or any status for a file,
 * connection cut mid-file, slow bytes, CDN redirect, no listing as many mirrors).
 *
 * Built on node:http rather than Bun.serve: Bun.serve sends streamed bodies chunked (dropping Content-Length, which a
 * downloader needs to tell a cut file from a whole one) and cannot reset a connection mid-body; node:http does both.
 */
import { createHash } from "node:crypto";
import { createReadStream, readdirSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join, normalize, sep } from "node:path";

export interface FakeHubRepo {
  /** Repo id as the URL names it: "owner/name" (or "name"). */
  repo: string;
  /** Local folder laid out like the repo (config.json, onnx/model.onnx, ...). */
  dir: string;
  /** Revisions this repo answers to (default ["main"]); all serve the same folder. */
  revisions?: string[];
}

/** Mutable between requests: tests flip these to make the hub misbehave. */
export interface FakeHubBehaviour {
  /** Bearer token every request must carry: none → 401, another → 403. */
  token: string | null;
  /** Answer 401 to everything, token or not (a gated repo the account may not read). */
  unauthorized: boolean;
  /** Repo-relative paths ("onnx/model.onnx") answered 404 in every repo. */
  notFound: Set<string>;
  /** Repo-relative paths answered with this status (500, 429, ...) in every repo. */
  failWith: Map<string, number>;
  /** Reset the connection after `bytes` body bytes of `path`, for the next `times` GETs of it. */
  cut: { path: string; bytes: number; times: number } | null;
  /** Throttle every body to about this many bytes per second (null: full speed). */
  bytesPerSecond: number | null;
  /** Answer files of at least this size with a 302 to the CDN origin (another port), as the hub does for LFS files. */
  redirectLargerThan: number | null;
  /** Which listing APIs answer (a mirror that proxies only resolve URLs answers neither: 404). */
  listing: { tree: boolean; siblings: boolean };
  /** Entries per page of the tree listing (more pages follow through the Link header). */
  treePageSize: number;
}

export interface FakeHubRequest {
  method: string;
  /** `{repo}/{path}` for files, the raw URL path otherwise. */
  file: string;
  authorization: string | null;
  range: string | null;
  /** "hub" or "cdn": which origin was asked. */
  origin: "hub" | "cdn";
}

export interface FakeHub {
  /** Base URL for HF_ENDPOINT, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  behaviour: FakeHubBehaviour;
  requests: FakeHubRequest[];
  /** GETs of one file (`{repo}/{path}`), through either origin. */
  gets(file: string): number;
  stop(): Promise<void>;
}

export async function startFakeHub(repos: FakeHubRepo[], behaviour: Partial<FakeHubBehaviour> = {}): Promise<FakeHub> {
  const state: FakeHubBehaviour = {
    token: null,
    unauthorized: false,
    notFound: new Set(),
    failWith: new Map(),
    cut: null,
    bytesPerSecond: null,
    redirectLargerThan: null,
    listing: { tree: true, siblings: true },
    treePageSize: 1000,
    ...behaviour,
  };
  const requests: FakeHubRequest[] = [];
  let cdnUrl = "";

  const hub = createServer((req, res) => {
    void handle(req, res, "hub").catch((err: unknown) => fail(res, err));
  });
  const cdn = createServer((req, res) => {
    void handle(req, res, "cdn").catch((err: unknown) => fail(res, err));
  });

  async function handle(req: IncomingMessage, res: ServerResponse, origin: "hub" | "cdn"): Promise<void> {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://fake-hub");
    const record: FakeHubRequest = { method, file: url.pathname, authorization: req.headers.authorization ?? null, range: req.headers.range ?? null, origin };
    requests.push(record);
    if (method !== "GET" && method !== "HEAD") return send(res, 405, { error: "Method not allowed" });

    // The CDN serves pre-signed /cdn/{repoIndex}/{path} links and checks no token, like the hub's storage.
    if (origin === "cdn") {
      const m = /^\/cdn\/(\d+)\/(.+)$/.exec(url.pathname);
      const repo = m ? repos[Number(m[1])] : undefined;
      if (!m || !repo) return send(res, 404, { error: "Not found" }, "EntryNotFound");
      const path = decodeURIComponent(m[2]!);
      record.file = `${repo.repo}/${path}`;
      return serveFile(req, res, method, repo, path, record.file);
    }

    if (url.pathname.startsWith("/api/models/")) return listing(req, res, url);
    const at = url.pathname.indexOf("/resolve/");
    if (at < 0) return send(res, 404, { error: "Not found" });
    const repoId = url.pathname.slice(1, at);
    const rest = url.pathname.slice(at + "/resolve/".length);
    const slash = rest.indexOf("/");
    const revision = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash));
    const path = slash < 0 ? "" : rest.slice(slash + 1).split("/").map(decodeURIComponent).join("/");
    record.file = `${repoId}/${path}`;

    if (state.unauthorized) return send(res, 401, { error: "Access to this repo is restricted." }, "GatedRepo");
    if (state.token !== null) {
      const auth = req.headers.authorization;
      if (!auth) return send(res, 401, { error: "Invalid credentials in Authorization header" });
      if (auth !== `Bearer ${state.token}`) return send(res, 403, { error: "This token may not read this repo." });
    }
    const index = repos.findIndex((r) => r.repo === repoId);
    const repo = repos[index];
    if (!repo) return send(res, 404, { error: "Repository not found" }, "RepoNotFound");
    if (!(repo.revisions ?? ["main"]).includes(revision)) return send(res, 404, { error: `Invalid rev id: ${revision}` }, "RevisionNotFound");
    if (state.notFound.has(path)) return send(res, 404, { error: "Entry not found" }, "EntryNotFound");
    const forced = state.failWith.get(path);
    if (forced) return send(res, forced, { error: `Forced ${forced}` });
    const file = fileIn(repo.dir, path);
    const size = file ? statSync(file).size : 0;
    res.setHeader("x-repo-commit", commitOf(repo.repo, revision));
    if (file && state.redirectLargerThan !== null && size >= state.redirectLargerThan) {
      res.writeHead(302, { location: `${cdnUrl}/cdn/${index}/${encodeURIComponent(path)}`, "content-length": "0" });
      res.end();
      return;
    }
    return serveFile(req, res, method, repo, path, record.file);
  }

  /** The listing API: the tree (paged) or the model info's siblings, when this hub serves them. */
  function listing(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const m = /^\/api\/models\/(.+)\/(tree|revision)\/([^/]+)$/.exec(url.pathname);
    if (!m) return send(res, 404, { error: "Not found" });
    const [, repoId, api, rawRevision] = m as unknown as [string, string, "tree" | "revision", string];
    if (!(api === "tree" ? state.listing.tree : state.listing.siblings)) return send(res, 404, { error: "Not found" });
    if (state.unauthorized) return send(res, 401, { error: "Access to this repo is restricted." }, "GatedRepo");
    if (state.token !== null && req.headers.authorization !== `Bearer ${state.token}`) return send(res, req.headers.authorization ? 403 : 401, { error: "Invalid credentials" });
    const repo = repos.find((r) => r.repo === repoId);
    if (!repo) return send(res, 404, { error: "Repository not found" }, "RepoNotFound");
    const revision = decodeURIComponent(rawRevision);
    if (!(repo.revisions ?? ["main"]).includes(revision)) return send(res, 404, { error: `Invalid rev id: ${revision}` }, "RevisionNotFound");
    const files = filesUnder(repo.dir);
    if (api === "revision") return sendJson(res, { id: repo.repo, sha: commitOf(repo.repo, revision), siblings: files.map((f) => ({ rfilename: f.path })) });
    const start = Number(url.searchParams.get("cursor") ?? 0);
    const page = files.slice(start, start + state.treePageSize);
    const headers: Record<string, string> = {};
    if (start + state.treePageSize < files.length) {
      const next = new URL(url.toString());
      next.searchParams.set("cursor", String(start + state.treePageSize));
      headers.link = `<${next.pathname}${next.search}>; rel="next"`;
    }
    sendJson(res, page.map((f) => ({ type: "file", path: f.path, size: f.size, oid: createHash("sha1").update(f.path).digest("hex") })), headers);
  }

  async function serveFile(req: IncomingMessage, res: ServerResponse, method: string, repo: FakeHubRepo, path: string, key: string): Promise<void> {
    const file = fileIn(repo.dir, path);
    if (!file) return send(res, 404, { error: "Entry not found" }, "EntryNotFound");
    const stat = statSync(file);
    let start = 0;
    let end = stat.size - 1;
    let status = 200;
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? "");
    if (range && (range[1] || range[2])) {
      if (range[1]) {
        start = Number(range[1]);
        if (range[2]) end = Math.min(Number(range[2]), end);
      } else {
        start = Math.max(0, stat.size - Number(range[2]));
      }
      if (start > end) {
        res.writeHead(416, { "content-range": `bytes */${stat.size}` });
        res.end();
        return;
      }
      status = 206;
      res.setHeader("content-range", `bytes ${start}-${end}/${stat.size}`);
    }
    res.writeHead(status, {
      "content-length": String(end - start + 1),
      "content-type": path.endsWith(".json") ? "application/json" : "application/octet-stream",
      "accept-ranges": "bytes",
      etag: `"${createHash("sha1").update(`${key}:${stat.size}:${stat.mtimeMs}`).digest("hex")}"`,
    });
    if (method === "HEAD") {
      res.end();
      return;
    }
    const cut = state.cut && state.cut.path === path && state.cut.times > 0 ? state.cut : null;
    if (cut) cut.times--;
    await streamBody(res, file, start, end, cut?.bytes ?? null);
  }

  /** Writes the byte range, throttled when asked, and destroys the socket after `cutAfter` bytes. */
  async function streamBody(res: ServerResponse, file: string, start: number, end: number, cutAfter: number | null): Promise<void> {
    const rate = state.bytesPerSecond;
    const chunkSize = rate ? Math.max(1, Math.floor(rate / 10)) : 64 * 1024;
    const stream = createReadStream(file, { start, end, highWaterMark: chunkSize });
    let sent = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        let piece = chunk;
        if (cutAfter !== null && sent + piece.length >= cutAfter) {
          piece = piece.subarray(0, cutAfter - sent);
          if (piece.length) await write(res, piece);
          await sleep(20); // let the bytes leave before the reset, so the client sees a short body
          res.destroy();
          return;
        }
        await write(res, piece);
        sent += piece.length;
        if (rate) await sleep((piece.length / rate) * 1000);
        if (res.destroyed) return;
      }
      res.end();
    } finally {
      stream.destroy();
    }
  }

  await listen(hub);
  await listen(cdn);
  const url = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`;
  cdnUrl = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;

  return {
    url,
    behaviour: state,
    requests,
    gets: (file) => requests.filter((r) => r.method === "GET" && r.file === file).length,
    async stop() {
      for (const s of [hub, cdn]) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };
}

/** The path inside `dir`, or null when it is missing or escapes the folder. */
function fileIn(dir: string, path: string): string | null {
  if (!path) return null;
  const full = normalize(join(dir, path));
  if (!full.startsWith(normalize(dir) + sep)) return null;
  try {
    return statSync(full).isFile() ? full : null;
  } catch {
    return null;
  }
}

/** Every file under `dir` (dot files excepted), relative with forward slashes, sorted. */
function filesUnder(dir: string): { path: string; size: number }[] {
  return (readdirSync(dir, { recursive: true, encoding: "utf8" }) as string[])
    .map((f) => f.split(sep).join("/"))
    .filter((f) => !f.split("/").some((p) => p.startsWith(".")) && statSync(join(dir, f)).isFile())
    .sort()
    .map((path) => ({ path, size: statSync(join(dir, path)).size }));
}

function sendJson(res: ServerResponse, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

function commitOf(repo: string, revision: string): string {
  return createHash("sha1").update(`${repo}@${revision}`).digest("hex");
}

function send(res: ServerResponse, status: number, body: { error: string }, errorCode?: string): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string> = { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)), "x-error-message": body.error };
  if (errorCode) headers["x-error-code"] = errorCode;
  res.writeHead(status, headers);
  res.end(text);
}

function fail(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  send(res, 500, { error: err instanceof Error ? err.message : String(err) });
}

function write(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    res.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
}
