/**
 * Loads a test model in this process, the way the server does (settings → registry → pool), so engine tests
 * drive the real scheduler and graph without HTTP, and can watch every forward pass the batch loop makes.
 */
import * as os from "node:os";
import * as path from "node:path";
import { loadSettings } from "../../src/config/load-settings.ts";
import { DEFAULT_SAMPLING, type SamplingParams } from "../../src/engine/generation/sampling-params.ts";
import type { GenerationEvent, GenerationRequest } from "../../src/engine/generation/generation-types.ts";
import { ModelPool } from "../../src/engine/model-pool.ts";
import * as fs from "node:fs";
import type { DecoderRuntime } from "../../src/engine/runtime/decoder-runtime.ts";
import type { TextModel } from "../../src/engine/text-model.ts";
import { loadRegistry } from "../../src/registry/load-registry.ts";
import { testRegistryPath } from "../helpers/start-server.ts";

/**
 * A text model loaded with the given server flags (e.g. ["--max-batch-size", "1"]). `ckpt-*` ids are the factory's
 * checkpoints, built (once, into a cache of the engine tests) and run in the engine-owned KV layout.
 */
export async function loadTestTextModel(id: string, flags: string[] = []): Promise<TextModel> {
  const registry = id.startsWith("ckpt-") ? checkpointRegistry(id) : testRegistryPath();
  const { settings } = loadSettings(["--registry", registry, "--include-default-models=false", ...flags], {});
  const pool = new ModelPool(loadRegistry(settings), settings, {
    endpoint: settings.hfEndpoint,
    token: "",
    offline: true,
    cacheDir: path.join(os.tmpdir(), "gpt3dev-engine-tests"),
  });
  const model = await pool.get(id);
  if (model.kind !== "text-generation") throw new Error(`${id} is not a text model`);
  return model;
}

function checkpointRegistry(id: string): string {
  const file = path.join(os.tmpdir(), `gpt3dev-engine-tests-${id}-${process.pid}.yaml`);
  fs.writeFileSync(file, `- name: ${id}\n  path: ${path.join(path.dirname(testRegistryPath()), id)}\n  device: cpu\n`);
  return file;
}

/** What one forward pass looked like, as the batch loop called it. */
export interface ForwardCall {
  batch: number;
  steps: number;
  /** Position of every new token, row by row. */
  positions: number[];
}

/**
 * Puts `wrap` around every forward pass of a graph of either kind: it sees what the pass is and decides when (and
 * whether) the real pass runs.
 */
export function interceptForward(graph: DecoderRuntime, wrap: (call: ForwardCall, pass: () => Promise<unknown>) => Promise<unknown>): void {
  if (graph.kind === "owned") {
    const original = graph.forward.bind(graph);
    graph.forward = (args) => {
      const positions: number[] = [];
      for (let b = 0; b < args.count; b++) {
        const past = args.fresh ? 0 : args.kv.length(args.first + b);
        for (let s = 0; s < args.steps; s++) positions.push(past + s);
      }
      return wrap({ batch: args.count, steps: args.steps, positions }, () => original(args)) as ReturnType<typeof original>;
    };
  } else {
    const original = graph.forward.bind(graph);
    graph.forward = (args) => wrap({ batch: args.batch, steps: args.steps, positions: Array.from(args.positions, Number) }, () => original(args)) as ReturnType<typeof original>;
  }
}

/** Records every forward pass of a graph (its arguments only; the pass itself runs unchanged). */
export function watchForwards(graph: DecoderRuntime): ForwardCall[] {
  const calls: ForwardCall[] = [];
  interceptForward(graph, (call, pass) => {
    calls.push(call);
    return pass();
  });
  return calls;
}

export function request(promptIds: number[], opts: Partial<Omit<GenerationRequest, "sampling">> & { sampling?: Partial<SamplingParams> } = {}): GenerationRequest {
  const { sampling, ...rest } = opts;
  return {
    promptIds,
    n: 1,
    maxTokens: 16,
    stop: [],
    ignoreEos: true,
    logprobs: null,
    promptLogprobs: null,
    signal: new AbortController().signal,
    ...rest,
    sampling: { ...DEFAULT_SAMPLING, temperature: 0, ...sampling },
  };
}

/** Token ids per sequence index, and the finish reasons, once the request's events end. */
export async function collectTokens(events: AsyncIterable<GenerationEvent>): Promise<{ tokens: number[][]; reasons: string[] }> {
  const tokens: number[][] = [];
  const reasons: string[] = [];
  for await (const e of events) {
    if (e.type === "error") throw e.error;
    if (e.type === "delta") (tokens[e.index] ??= []).push(...e.tokens.map((t) => t.id));
    if (e.type === "finish") reasons[e.index] = e.reason;
  }
  return { tokens, reasons };
}

/** Deterministic prompt ids of a given length (ordinary GPT-2 tokens, no EOS). */
export function promptOf(length: number, salt = 0): number[] {
  return Array.from({ length }, (_, i) => (i * 7919 + salt * 104729 + 464) % 50000);
}
