/** The routes that get their own metrics label; anything else is "other", so hostile paths cannot add series. */
const EXACT = new Set([
  "/v1/completions",
  "/v1/chat/completions",
  "/v1/embeddings",
  "/v1/responses",
  "/v1/models",
  "/tokenize",
  "/detokenize",
  "/healthz",
  "/readyz",
  "/metrics",
  "/",
]);

export function routeLabel(path: string): string {
  if (EXACT.has(path)) return path;
  if (path.startsWith("/v1/models/")) return "/v1/models/{model}";
  if (path.startsWith("/v1/responses/")) return path.endsWith("/input_items") ? "/v1/responses/{id}/input_items" : "/v1/responses/{id}";
  return "other";
}
