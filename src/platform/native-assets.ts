// The native files embedded in the executable. Under `bun run` there are none: onnxruntime-node loads its own
// binaries from node_modules. `scripts/build/native-assets-plugin.ts` replaces this module's source at build time
// with `import … with { type: "file" }` lines for the build target, so the list is only non-null when compiled.

export interface EmbeddedNativeFile {
  /** File name in the extraction folder, e.g. `libonnxruntime.so.1`. */
  name: string;
  /** Where the embedded, zstd-compressed copy can be read (a `/$bunfs/…` path inside the executable). */
  embeddedPath: string;
  /** Size in bytes once decompressed, to recognise a complete extracted copy without hashing it. */
  size: number;
}

export interface EmbeddedNativeAssets {
  /** Folder name unique to these files' contents (target and content hash), inside the versioned cache folder. */
  folderName: string;
  /** The onnxruntime-node binding, loaded with `require()` from the extraction folder. */
  bindingName: string;
  files: EmbeddedNativeFile[];
}

export const embeddedNativeAssets: EmbeddedNativeAssets | null = null;
