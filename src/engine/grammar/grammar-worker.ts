// The grammar engine's thread: @mlc-ai/web-xgrammar (WASM) with our length overlay on top. Compiles block this
// thread, never the server's; a WASM abort poisons only this worker, which the client then replaces.
import { CompiledGrammar, GrammarCompiler, GrammarMatcher, Testings, TokenizerInfo } from "@mlc-ai/web-xgrammar";
import type { FromWorker, ToWorker } from "./grammar-protocol.ts";
import type { GrammarSpec } from "./grammar-spec.ts";
import { JsonPathTracker } from "./json-path-tracker.ts";
import { LengthOverlay, StringTokenTable, type StringTracker } from "./length-overlay.ts";
import { needsOverlay, engineSchema } from "./normal-schema.ts";
import { TaggedJsonTracker } from "./tagged-json-tracker.ts";

declare const self: Worker;

interface Compiled {
  grammar: CompiledGrammar;
  spec: GrammarSpec;
  users: number;
  lastUsed: number;
}

const CACHE_LIMIT = 64;
let compiler: GrammarCompiler | null = null;
let vocabSize = 0;
let stopTokenIds: number[] = [];
let table: StringTokenTable | null = null;
let bytes: ConstructorParameters<typeof StringTokenTable>[0] | null = null;
const compiled = new Map<string, Compiled>();
const matchers = new Map<number, { matcher: GrammarMatcher; overlay: LengthOverlay | null; key: string }>();
let poisoned = false;

function send(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  postMessage(msg, transfer);
}

function isAbort(err: unknown): boolean {
  return String(err).includes("Aborted");
}

/** A WASM abort leaves the module unusable: say so once and stop answering. */
function poison(err: unknown): void {
  poisoned = true;
  send({ type: "poisoned", message: String(err) });
}

async function compile(spec: GrammarSpec): Promise<CompiledGrammar> {
  const c = compiler!;
  if (spec.kind === "json_object") return c.compileJSONSchema('{"type":"object"}', false, -1, [",", ":"], false);
  if (spec.kind === "json_schema") return c.compileJSONSchema(JSON.stringify(engineSchema(spec.schema)), false, -1, [",", ":"], true);
  const tags = [];
  for (const t of spec.tags) {
    const ebnf = await Testings._jsonSchemaToEBNF(JSON.stringify(engineSchema(t.schema)), false, -1, [",", ":"], true);
    tags.push({ type: "tag" as const, begin: t.begin, content: { type: "grammar" as const, grammar: ebnf }, end: t.end });
  }
  const calls = { type: "tags_with_separator" as const, tags, separator: spec.separator, at_least_one: true, stop_after_first: !spec.parallel };
  // An open-ended list must come last, or sit in a tag whose end closes it (the engine's structural-tag rules).
  const format = spec.suffix
    ? { type: "tag" as const, begin: spec.prefix, content: calls, end: spec.suffix }
    : spec.prefix
      ? { type: "sequence" as const, elements: [{ type: "const_string" as const, value: spec.prefix }, calls] }
      : calls;
  return c.compileStructuralTag({ type: "structural_tag", format });
}

function overlayFor(spec: GrammarSpec): LengthOverlay | null {
  let tracker: StringTracker | null = null;
  if (spec.kind === "json_schema" && needsOverlay(spec.schema)) tracker = new JsonPathTracker(spec.schema);
  if (spec.kind === "tagged_json" && spec.tags.some((t) => needsOverlay(t.schema))) tracker = TaggedJsonTracker.start(spec.tags);
  if (!tracker) return null;
  table ??= new StringTokenTable(bytes!);
  return new LengthOverlay(tracker, table, stopTokenIds);
}

function evict(): void {
  if (compiled.size <= CACHE_LIMIT) return;
  const idle = [...compiled.entries()].filter(([, c]) => c.users === 0).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
  for (const [key, c] of idle.slice(0, compiled.size - CACHE_LIMIT)) {
    c.grammar.dispose();
    compiled.delete(key);
  }
}

function maskFor(seq: number, accept: number[]): { mask: Uint32Array | null; error: string | null } {
  const m = matchers.get(seq);
  if (!m) return { mask: null, error: "unknown sequence" };
  for (const id of accept) {
    if (!m.matcher.acceptToken(id)) return { mask: null, error: `token ${id} does not continue the grammar` };
    m.overlay?.accept(id);
  }
  return { mask: null, error: null };
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case "init": {
      const t = performance.now();
      vocabSize = msg.vocab.vocabSize;
      stopTokenIds = msg.vocab.stopTokenIds;
      bytes = msg.vocab.bytes;
      const info = await TokenizerInfo.createTokenizerInfo(msg.vocab.pieces, msg.vocab.kind, msg.vocab.prependSpace, vocabSize, msg.vocab.stopTokenIds);
      compiler = await GrammarCompiler.createGrammarCompiler(info);
      send({ type: "ready", ms: performance.now() - t });
      return;
    }
    case "compile": {
      if (compiled.has(msg.key)) return send({ type: "compiled", id: msg.id, ms: 0 });
      const t = performance.now();
      try {
        const grammar = await compile(msg.spec);
        compiled.set(msg.key, { grammar, spec: msg.spec, users: 0, lastUsed: Date.now() });
        evict();
        send({ type: "compiled", id: msg.id, ms: performance.now() - t });
      } catch (err) {
        if (isAbort(err)) return poison(err);
        send({ type: "compile_failed", id: msg.id, message: String(err) });
      }
      return;
    }
    case "open": {
      const c = compiled.get(msg.key);
      if (!c) return send({ type: "opened", seq: msg.seq, error: "grammar not compiled" });
      const matcher = await GrammarMatcher.createGrammarMatcher(c.grammar);
      c.users++;
      c.lastUsed = Date.now();
      matchers.set(msg.seq, { matcher, overlay: overlayFor(c.spec), key: msg.key });
      const { error } = maskFor(msg.seq, msg.replay);
      send({ type: "opened", seq: msg.seq, error });
      return;
    }
    case "step": {
      const results: { seq: number; mask: Uint32Array | null; error: string | null }[] = [];
      const transfer: ArrayBuffer[] = [];
      for (const { seq, accept } of msg.requests) {
        const accepted = maskFor(seq, accept);
        if (accepted.error) {
          results.push({ seq, mask: null, error: accepted.error });
          continue;
        }
        const m = matchers.get(seq)!;
        const raw = await m.matcher.getNextTokenBitmask();
        const mask = new Uint32Array(raw.length);
        mask.set(new Uint32Array(raw.buffer, raw.byteOffset, raw.length));
        m.overlay?.filter(mask, vocabSize);
        clearPadding(mask, vocabSize);
        if (mask.every((w) => w === 0)) {
          results.push({ seq, mask: null, error: "no token can continue the grammar from here" });
          continue;
        }
        results.push({ seq, mask, error: null });
        transfer.push(mask.buffer);
      }
      send({ type: "masks", id: msg.id, results }, transfer);
      return;
    }
    case "close": {
      for (const seq of msg.seqs) {
        const m = matchers.get(seq);
        if (!m) continue;
        m.matcher.dispose();
        matchers.delete(seq);
        const c = compiled.get(m.key);
        if (c) c.users--;
      }
      evict();
      return;
    }
  }
}

/** Bits at or above the logits width are padding: never allowed. */
function clearPadding(mask: Uint32Array, size: number): void {
  const full = size >> 5;
  if (full < mask.length && (size & 31) !== 0) mask[full]! &= (1 << (size & 31)) - 1;
  for (let w = full + ((size & 31) !== 0 ? 1 : 0); w < mask.length; w++) mask[w] = 0;
}

// One message at a time, in order: a step must see the opens and accepts before it.
let queue: Promise<void> = Promise.resolve();
self.onmessage = (ev: MessageEvent<ToWorker>) => {
  queue = queue.then(async () => {
    if (poisoned) return;
    try {
      await handle(ev.data);
    } catch (err) {
      poison(err);
    }
  });
};
