import { programVersion } from "../../platform/build-info.ts";
import type { IdleWatchdog } from "./idle-watchdog.ts";

const MAX_REDIRECTS = 10;

export interface HubResponse {
  response: Response;
  /** The commit the hub resolved the revision to, from any response on the way (the hub sets it on its 302). */
  commit: string | null;
}

/**
 * GET a hub URL. The token goes to the configured endpoint whatever its host (transformers.js sends it only to
 * huggingface.co, which breaks private mirrors), and never to another origin a redirect points at (the hub's CDN
 * links are pre-signed; a token there would only leak). Redirects are followed here to enforce that.
 */
export async function hubGet(url: string, endpoint: string, token: string, watchdog: IdleWatchdog): Promise<HubResponse> {
  const endpointOrigin = new URL(endpoint).origin;
  let current = url;
  let commit: string | null = null;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = { "user-agent": `gpt3dev-api/${programVersion}` };
    if (token && new URL(current).origin === endpointOrigin) headers.authorization = `Bearer ${token}`;
    const response = await fetch(current, { headers, redirect: "manual", signal: watchdog.signal });
    commit = response.headers.get("x-repo-commit") ?? commit;
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      current = new URL(location, current).toString();
      watchdog.kick();
      continue;
    }
    return { response, commit };
  }
  throw new TooManyRedirects(url);
}

export class TooManyRedirects extends Error {
  override name = "TooManyRedirects";
  constructor(url: string) {
    super(`more than ${MAX_REDIRECTS} redirects from ${url}`);
  }
}
