/**
 * The engine and the converter know nothing of HTTP (see /README.md "Architecture"): they raise domain errors,
 * and src/http/shared/error-mapping.ts alone gives them a status, a type and headers. This reads every source
 * file under src/engine/ and src/convert/ and fails on an import from src/http/ (or of the ApiError module)
 * and on server-side HTTP vocabulary: a numeric `status:` property, a `headers:` object, Retry-After,
 * WWW-Authenticate, OpenAI error types, or an HTTP route with its method. The hub downloader is an HTTP
 * *client*: reading the hub's `response.status` and `response.headers` is what it is for, and is allowed.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");
const BELOW_HTTP = ["src/engine", "src/convert"];

const RULES: { name: string; pattern: RegExp }[] = [
  { name: "imports from src/http", pattern: /from\s+["'][^"']*\/http\/[^"']*["']|import\(\s*["'][^"']*\/http\//g },
  { name: "imports the ApiError module", pattern: /["'][^"']*api-error(\.ts)?["']/g },
  { name: "names ApiError", pattern: /\bApiError\b/g },
  { name: "a numeric status property", pattern: /\bstatus(Code)?\s*:\s*[1-5]\d\d\b/g },
  { name: "a headers object", pattern: /\bheaders\s*:\s*\{/g },
  { name: "Retry-After", pattern: /retry-after/gi },
  { name: "WWW-Authenticate", pattern: /www-authenticate/gi },
  { name: "an OpenAI error type", pattern: /\b(invalid_request|authentication|permission|not_found|rate_limit|not_implemented|service_unavailable|server)_error\b/g },
  { name: "an HTTP route with its method", pattern: /\b(GET|POST|PUT|DELETE|PATCH)\s+\/v1\b/g },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|js|mjs)$/.test(name) ? [path] : [];
  });
}

/** Every rule broken in `text`, as "rule: match" (line numbers added by the caller). */
function violations(text: string): { rule: string; match: string; index: number }[] {
  const found: { rule: string; match: string; index: number }[] = [];
  for (const { name, pattern } of RULES) {
    for (const m of text.matchAll(pattern)) found.push({ rule: name, match: m[0], index: m.index ?? 0 });
  }
  return found;
}

test("the detector catches each kind of violation (so the check below can fail)", () => {
  const samples = [
    'import { ApiError } from "../../http/shared/api-error.ts";',
    'import { toApiError } from "../errors/api-error";',
    'throw new ApiError({ status: 429, type: "rate_limit_error", headers: { "Retry-After": "1" } });',
    'return { statusCode: 503 };',
    'const h = { "WWW-Authenticate": "Bearer" };',
    'message: "GET /v1/models lists the models"',
  ];
  const rules = new Set(samples.flatMap((s) => violations(s).map((v) => v.rule)));
  expect([...rules].sort()).toEqual(RULES.map((r) => r.name).sort());
  // The hub client's own reading of responses is not a violation.
  expect(violations('if (response.status === 404) return response.headers.get("x-error-message");')).toEqual([]);
});

describe("nothing under src/engine or src/convert speaks HTTP", () => {
  for (const dir of BELOW_HTTP) {
    test(dir, () => {
      const found: string[] = [];
      for (const file of sourceFiles(join(ROOT, dir))) {
        const text = readFileSync(file, "utf8");
        for (const v of violations(text)) {
          const line = text.slice(0, v.index).split("\n").length;
          found.push(`${relative(ROOT, file)}:${line}: ${v.rule}: ${v.match}`);
        }
      }
      expect(found).toEqual([]);
    });
  }
});
