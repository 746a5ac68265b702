import type { HubModelRequest } from "./hub-types.ts";
import { hubModelDir } from "./cache-layout.ts";
import { isCompleteDownload } from "./completion-marker.ts";

/** The cached folder of a hub model when it is completely downloaded, else null. Touches no network. */
export function cachedHubModelDir(req: Pick<HubModelRequest, "repo" | "revision" | "dtype">, cacheDir: string): string | null {
  const dir = hubModelDir(cacheDir, req.repo, req.revision);
  return isCompleteDownload(dir, req.dtype) ? dir : null;
}
