/**
 * CORS from CORS_ALLOW_ORIGINS: exact origins (answered with that origin and credentials allowed) or `*`
 * (answered with `*`, no credentials). A disallowed origin gets no Access-Control-Allow-Origin, so the
 * browser blocks the read. Applied by the front door to every answer, errors and refusals included.
 */
const ALLOWED_METHODS = "GET, POST, OPTIONS";
// Explicit, not echoed from the request: what the OpenAI SDKs send from a browser.
const ALLOWED_HEADERS = [
  "Authorization", "Content-Type", "Accept", "OpenAI-Organization", "OpenAI-Project", "OpenAI-Beta", "X-Request-Id",
  "X-Stainless-Lang", "X-Stainless-Package-Version", "X-Stainless-OS", "X-Stainless-Arch", "X-Stainless-Runtime",
  "X-Stainless-Runtime-Version", "X-Stainless-Retry-Count", "X-Stainless-Timeout", "X-Stainless-Helper-Method",
].join(", ");
const EXPOSED_HEADERS = "X-Request-Id, Retry-After";
const MAX_AGE_S = "600";

export class CorsPolicy {
  private readonly any: boolean;
  private readonly origins: Set<string>;

  constructor(allowOrigins: readonly string[]) {
    this.any = allowOrigins.includes("*");
    this.origins = new Set(allowOrigins.filter((o) => o !== "*").map((o) => o.toLowerCase()));
  }

  get enabled(): boolean {
    return this.any || this.origins.size > 0;
  }

  isPreflight(req: Request): boolean {
    return this.enabled && req.method === "OPTIONS" && req.headers.has("origin") && req.headers.has("access-control-request-method");
  }

  /** 204 to every preflight; only an allowed origin gets the Access-Control-Allow-* headers. */
  preflight(req: Request): Response {
    const headers = new Headers({ Vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers" });
    const origin = req.headers.get("origin")!;
    if (this.allowOrigin(origin, headers)) {
      headers.set("Access-Control-Allow-Methods", ALLOWED_METHODS);
      headers.set("Access-Control-Allow-Headers", ALLOWED_HEADERS);
      headers.set("Access-Control-Max-Age", MAX_AGE_S);
    }
    return new Response(null, { status: 204, headers });
  }

  /** Adds the CORS headers of an actual (non-preflight) request to its answer. */
  decorate(req: Request, headers: Headers): void {
    if (!this.enabled) return;
    headers.append("Vary", "Origin");
    const origin = req.headers.get("origin");
    if (origin !== null && this.allowOrigin(origin, headers)) headers.set("Access-Control-Expose-Headers", EXPOSED_HEADERS);
  }

  private allowOrigin(origin: string, headers: Headers): boolean {
    if (this.any) {
      headers.set("Access-Control-Allow-Origin", "*");
      return true;
    }
    if (!this.origins.has(origin.toLowerCase())) return false;
    headers.set("Access-Control-Allow-Origin", origin);
    headers.set("Access-Control-Allow-Credentials", "true");
    return true;
  }
}
