import type { Settings } from "../config/settings-spec.ts";
import type { ModelSpec } from "../registry/registry-entry.ts";
import { getTiktokenEncoding } from "../platform/tiktoken.ts";
import { Scheduler } from "./generation/scheduler.ts";
import type { ModelConfig } from "./model-config.ts";
import type { ModelFiles } from "./model-files.ts";
import { createSession } from "./runtime/create-session.ts";
import { decoderRuntime } from "./runtime/decoder-runtime.ts";
import { TextTokenizer } from "./tokenizer/text-tokenizer.ts";

/** End-of-turn markers of common chat templates: generation stops at them as at EOS. */
const END_OF_TURN = ["<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>", "<|endoftext|>", "</s>"];

/** A loaded decoder: tokenizer, graph and the scheduler that owns its generation loop. */
export interface TextModel {
  kind: "text-generation";
  spec: ModelSpec;
  tokenizer: TextTokenizer;
  scheduler: Scheduler;
  contextLength: number;
  vocab: number;
  device: "cpu" | "cuda";
  deviceReason: string;
  stopTokenIds: ReadonlySet<number>;
  /** BOS, or EOS for GPT-2-style models: what an empty prompt means (a new document), as OpenAI does. */
  documentStartId: number | null;
}

export async function loadTextModel(spec: ModelSpec, files: ModelFiles, config: ModelConfig, settings: Settings): Promise<TextModel> {
  const tiktoken = spec.tiktokenEncoding ? await getTiktokenEncoding(spec.tiktokenEncoding) : null;
  const tokenizer = await TextTokenizer.load(files.dir, { chatTemplate: spec.chatTemplate, tiktoken });
  const { session, device, deviceReason } = await createSession(files.onnxFile, spec.device, settings.threads);
  const graph = decoderRuntime(session, files.onnxFile);
  // One-token warm-up: learns the logits width and proves the graph runs before any request depends on it.
  const vocab = await graph.warmUp();

  const stop = new Set<number>(config.eosTokenIds);
  if (tokenizer.eosTokenId !== null) stop.add(tokenizer.eosTokenId);
  if (tokenizer.chatTemplate) {
    for (const marker of END_OF_TURN) {
      const id = tokenizer.idOf(marker);
      if (id !== undefined && tokenizer.specialIds.has(id)) stop.add(id);
    }
  }
  const contextLength = spec.maxContextTokens ?? config.contextLength ?? settings.maxContextTokens;
  const scheduler = new Scheduler(
    { graph, tokenizer, vocab, contextLength, stopTokenIds: stop },
    { maxBatchSize: settings.maxBatchSize, maxQueue: settings.maxQueue, prefillChunk: settings.prefillChunk, mode: settings.batching },
  );
  return {
    kind: "text-generation",
    spec,
    tokenizer,
    scheduler,
    contextLength,
    vocab,
    device,
    deviceReason,
    stopTokenIds: stop,
    documentStartId: tokenizer.bosTokenId ?? tokenizer.eosTokenId,
  };
}
