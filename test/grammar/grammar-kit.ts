import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import type { TokenConstraint } from "../../src/engine/generation/token-constraint.ts";
import { GrammarEngine } from "../../src/engine/grammar/grammar-engine.ts";
import { grammarVocabulary } from "../../src/engine/grammar/grammar-vocabulary.ts";
import { TextTokenizer } from "../../src/engine/tokenizer/text-tokenizer.ts";
import { SeededRandom } from "../hardening/seeded-random.ts";

/** Logits width of the generated test models (test-chat: 50257 + ChatML specials). */
export const TEST_CHAT_VOCAB = 50259;
export const TEST_CHAT_STOPS = [50256, 50258];

export async function loadTokenizer(name: "test-chat" | "test-gpt2"): Promise<TextTokenizer> {
  const dir = join(process.env.TEST_MODELS_DIR ?? ".cache/test-models", name);
  return TextTokenizer.load(dir, { chatTemplate: null, tiktoken: null });
}

export async function testEngine(name: "test-chat" | "test-gpt2" = "test-chat", options: ConstructorParameters<typeof GrammarEngine>[1] = {}) {
  const tokenizer = await loadTokenizer(name);
  const vocab = name === "test-chat" ? TEST_CHAT_VOCAB : tokenizer.vocabSize;
  const stops = name === "test-chat" ? TEST_CHAT_STOPS : [tokenizer.eosTokenId!];
  const engine = new GrammarEngine(grammarVocabulary(tokenizer, vocab, stops), options);
  return { tokenizer, engine, vocab, stops };
}

export function allowedIds(mask: Uint32Array, vocab: number): number[] {
  const out: number[] = [];
  for (let id = 0; id < vocab; id++) if ((mask[id >> 5]! >>> (id & 31)) & 1) out.push(id);
  return out;
}

/** GPT-2 byte tokens for `"`, `]` and `}`. */
const CLOSERS = new Set([1, 60, 92]);

/**
 * Plays a random-weight model against a constraint: each step picks a random allowed token (half the time among
 * single-byte tokens, so values end in reasonable time), until a stop token or `maxSteps`. Returns the text and
 * the per-step mask times.
 */
export async function drive(
  tokenizer: TextTokenizer,
  constraint: TokenConstraint,
  opts: { seed: number; vocab: number; stops: readonly number[]; maxSteps?: number },
): Promise<{ text: string; ids: number[]; stopped: boolean; maskMs: number[] }> {
  const rng = new SeededRandom(opts.seed);
  const rand = () => rng.next();
  const ids: number[] = [];
  const maskMs: number[] = [];
  let stopped = false;
  try {
    for (let step = 0; step < (opts.maxSteps ?? 400); step++) {
      const t = performance.now();
      const mask = await constraint.nextMask();
      maskMs.push(performance.now() - t);
      if (!mask) throw new Error("a constrained sequence got no mask");
      const allowed = allowedIds(mask, opts.vocab);
      if (allowed.length === 0) throw new Error("empty mask");
      const short = allowed.filter((id) => id < 256);
      const stopsAllowed = allowed.filter((id) => opts.stops.includes(id));
      // Closing characters get likelier as the text grows, so random walks end (a real model would end too).
      const quote = short.filter((id) => id === 1 || id === 31); // `"`, and `@` so e-mail addresses end
      const closers = quote.length > 0 ? quote : short.filter((id) => CLOSERS.has(id));
      const pool =
        stopsAllowed.length > 0 && rand() < 0.5 ? stopsAllowed
        : closers.length > 0 && rand() < Math.min(0.8, step / 150) ? closers
        : short.length > 0 && rand() < 0.5 ? short
        : allowed;
      const id = pool[Math.floor(rand() * pool.length)]!;
      if (opts.stops.includes(id)) {
        stopped = true;
        break;
      }
      constraint.accept(id);
      ids.push(id);
    }
  } finally {
    constraint.dispose();
  }
  return { text: tokenizer.decode(ids, false), ids, stopped, maskMs };
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

/** The independent reference: ajv (JSON Schema 2020-12 with formats) on the parsed text. */
export function validate(schema: object, text: string): { ok: boolean; errors: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: `not JSON: ${(err as Error).message}: ${JSON.stringify(text.slice(0, 200))}` };
  }
  // ajv keeps schemas by $id: another test file's schema with the same $id would clash with this one.
  const id = (schema as { $id?: unknown }).$id;
  if (typeof id === "string") ajv.removeSchema(id);
  const check = ajv.compile(schema);
  const ok = check(value) as boolean;
  return { ok, errors: ok ? "" : `${ajv.errorsText(check.errors)} in ${JSON.stringify(text.slice(0, 300))}` };
}
