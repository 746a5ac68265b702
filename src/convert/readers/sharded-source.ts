/** Several shard readers behind one TensorSource, as a checkpoint's index file lays them out. */
import { join } from "node:path";
import { ConvertError } from "../convert-error.ts";
import type { TensorInfo, TensorSource } from "../tensor-source.ts";
import { readShardIndex } from "./shard-index.ts";

export class ShardedSource implements TensorSource {
  private constructor(
    readonly tensors: ReadonlyMap<string, TensorInfo>,
    /** The shard file names, in the index's order. */
    readonly shardFiles: readonly string[],
    private readonly owner: ReadonlyMap<string, TensorSource>,
    private readonly shards: readonly TensorSource[],
  ) {}

  /** Opens every shard the index names (checking each header) with `openShard`. */
  static async open(dir: string, indexName: string, openShard: (path: string) => Promise<TensorSource>): Promise<ShardedSource> {
    const index = await readShardIndex(dir, indexName);
    const opened: TensorSource[] = [];
    try {
      const byFile = new Map<string, TensorSource>();
      for (const file of index.shards) {
        const shard = await openShard(join(dir, file)).catch((err: unknown) => {
          if (err instanceof ConvertError && err.code === "checkpoint_missing") throw invalid(indexName, `names the shard ${file}, which cannot be opened`);
          throw err;
        });
        opened.push(shard);
        byFile.set(file, shard);
      }
      const tensors = new Map<string, TensorInfo>();
      const owner = new Map<string, TensorSource>();
      for (const [file, shard] of byFile) {
        for (const [name, info] of shard.tensors) {
          const mapped = index.weightMap.get(name);
          if (mapped !== undefined && mapped !== file) continue; // the index names another shard: checked below
          if (tensors.has(name)) throw invalid(indexName, `tensor ${name} is in both ${tensors.get(name)!.file} and ${file}`);
          tensors.set(name, info);
          owner.set(name, shard);
        }
      }
      for (const [name, file] of index.weightMap) {
        if (!owner.has(name)) throw invalid(file, `has no tensor ${name}, which ${indexName} places there`);
      }
      return new ShardedSource(tensors, index.shards, owner, opened);
    } catch (err) {
      await Promise.all(opened.map((s) => s.close()));
      throw err;
    }
  }

  readFloat32(name: string): Promise<Float32Array> {
    return this.shardOf(name).readFloat32(name);
  }

  readRaw(name: string): Promise<Uint8Array> {
    return this.shardOf(name).readRaw(name);
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.close()));
  }

  private shardOf(name: string): TensorSource {
    const s = this.owner.get(name);
    if (!s) throw new ConvertError("checkpoint_invalid", `no shard holds tensor ${name}`);
    return s;
  }
}

function invalid(file: string, problem: string): ConvertError {
  return new ConvertError("checkpoint_invalid", `${file}: ${problem}`, file);
}
