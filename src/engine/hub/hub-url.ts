/**
 * `{endpoint}/{repo}/resolve/{revision}/{file}`, the hub's (and every mirror's) download URL. The revision is one
 * path segment, so `refs/pr/1` is escaped as huggingface_hub does; the file keeps its slashes.
 */
export function resolveUrl(endpoint: string, repo: string, revision: string, file: string): string {
  const repoPath = repo.split("/").map(encodeURIComponent).join("/");
  const filePath = file.split("/").map(encodeURIComponent).join("/");
  return `${endpoint.replace(/\/+$/, "")}/${repoPath}/resolve/${encodeURIComponent(revision)}/${filePath}`;
}
