// The grammar engine's thread: @mlc-ai/web-xgrammar (WASM) with our length overlay on top. Compiles block this
// thread, never the server's; a WASM abort poisons only this worker, which the client then replaces.
import { CompiledGrammar, GrammarCompiler, GrammarMatcher, Testings, TokenizerInfo } from "@mlc-ai/web-xgrammar";
import type { FromWorker, ToWorker } from "./grammar-protocol.ts";
import type { CallsSpec, FormatSpec, GrammarSpec } from "./grammar-spec.ts";
import { JsonPathTracker } from "./json-path-tracker.ts";
import { LengthOverlay, StringTokenTable, type StringTracker } from "./length-overlay.ts";
import { needsOverlay, engineSchema } from "./normal-schema.ts";
import { TaggedJsonTracker } from "./tagged-json-tracker.ts";

declare const self: Worker;

/** One grammar, or (format_or_calls) the two a reply chooses between, each with the spec its overlay follows. */
interface Compiled {
  parts: { grammar: CompiledGrammar; spec: FormatSpec | CallsSpec }[];
  users: number;
  lastUsed: number;
}

/**
 * A sequence's matchers: one per part still possible. A reply that may be either of two things (a JSON format or
 * tool calls) runs a matcher for each; a token any of them accepts is allowed, and a matcher that refuses an
 * accepted token drops out (web-xgrammar's structural tags cannot put a call list inside an "or").
 */
interface Branch {
  matcher: GrammarMatcher;
  overlay: LengthOverlay | null;
}

const CACHE_LIMIT = 64;
let compiler: GrammarCompiler | null = null;
let vocabSize = 0;
let stopTokenIds: number[] = [];
let table: StringTokenTable | null = null;
let bytes: ConstructorParameters<typeof StringTokenTable>[0] | null = null;
const compiled = new Map<string, Compiled>();
const matchers = new Map<number, { branches: Branch[]; key: string }>();
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

async function compile(spec: GrammarSpec): Promise<Compiled["parts"]> {
  if (spec.kind === "format_or_calls") return [...(await compile(spec.format)), ...(await compile(spec.calls))];
  const c = compiler!;
  if (spec.kind === "json_object") return [{ spec, grammar: await c.compileJSONSchema('{"type":"object"}', false, -1, [",", ":"], false) }];
  if (spec.kind === "json_schema") return [{ spec, grammar: await c.compileJSONSchema(JSON.stringify(engineSchema(spec.schema)), false, -1, [",", ":"], true) }];
  return [{ spec, grammar: await c.compileStructuralTag({ type: "structural_tag", format: await callsFormat(spec) }) }];
}

async function callsFormat(spec: CallsSpec) {
  const tags = [];
  for (const t of spec.tags) {
    const ebnf = await Testings._jsonSchemaToEBNF(JSON.stringify(engineSchema(t.schema)), false, -1, [",", ":"], true);
    tags.push({ type: "tag" as const, begin: t.begin, content: { type: "grammar" as const, grammar: ebnf }, end: t.end });
  }
  const calls = { type: "tags_with_separator" as const, tags, separator: spec.separator, at_least_one: true, stop_after_first: !spec.parallel };
  // An open-ended list must come last, or sit in a tag whose end closes it (the engine's structural-tag rules).
  return spec.suffix
    ? { type: "tag" as const, begin: spec.prefix, content: calls, end: spec.suffix }
    : spec.prefix
      ? { type: "sequence" as const, elements: [{ type: "const_string" as const, value: spec.prefix }, calls] }
      : calls;
}

function lengthOverlay(spec: FormatSpec | CallsSpec): LengthOverlay | null {
  let tracker: StringTracker | null = null;
  if (spec.kind === "json_schema" && needsOverlay(spec.schema)) tracker = new JsonPathTracker(spec.schema);
  if (spec.kind === "tagged_json" && spec.tags.some((t) => needsOverlay(t.schema))) tracker = TaggedJsonTracker.start(spec.tags);
  if (!tracker) return null;
  return new LengthOverlay(tracker, tokenTable(), stopTokenIds);
}

function tokenTable(): StringTokenTable {
  table ??= new StringTokenTable(bytes!);
  return table;
}

function evict(): void {
  if (compiled.size <= CACHE_LIMIT) return;
  const idle = [...compiled.entries()].filter(([, c]) => c.users === 0).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
  for (const [key, c] of idle.slice(0, compiled.size - CACHE_LIMIT)) {
    for (const part of c.parts) part.grammar.dispose();
    compiled.delete(key);
  }
}

function maskFor(seq: number, accept: number[]): { mask: Uint32Array | null; error: string | null } {
  const m = matchers.get(seq);
  if (!m) return { mask: null, error: "unknown sequence" };
  for (const id of accept) {
    const kept = m.branches.filter((b) => b.matcher.acceptToken(id));
    if (kept.length === 0) return { mask: null, error: `token ${id} does not continue the grammar` };
    for (const b of m.branches) if (!kept.includes(b)) b.matcher.dispose();
    m.branches = kept;
    for (const b of kept) b.overlay?.accept(id);
  }
  return { mask: null, error: null };
}

/** The tokens some live branch allows, its own bounds applied. */
async function nextMask(branches: Branch[]): Promise<Uint32Array<ArrayBuffer>> {
  let union: Uint32Array<ArrayBuffer> | null = null;
  for (const b of branches) {
    const raw = await b.matcher.getNextTokenBitmask();
    const mask = new Uint32Array(raw.length);
    mask.set(new Uint32Array(raw.buffer, raw.byteOffset, raw.length));
    b.overlay?.filter(mask, vocabSize);
    if (!union) union = mask;
    else for (let w = 0; w < union.length; w++) union[w]! |= mask[w]!;
  }
  return union!;
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
        compiled.set(msg.key, { parts: await compile(msg.spec), users: 0, lastUsed: Date.now() });
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
      const branches: Branch[] = [];
      for (const part of c.parts) branches.push({ matcher: await GrammarMatcher.createGrammarMatcher(part.grammar), overlay: lengthOverlay(part.spec) });
      c.users++;
      c.lastUsed = Date.now();
      matchers.set(msg.seq, { branches, key: msg.key });
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
        const mask = await nextMask(matchers.get(seq)!.branches);
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
        for (const b of m.branches) b.matcher.dispose();
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
