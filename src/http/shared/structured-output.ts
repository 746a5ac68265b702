import type { TokenConstraint } from "../../engine/generation/token-constraint.ts";
import { grammarEngineFor } from "../../engine/grammar/grammar-engine-for.ts";
import { GrammarError } from "../../engine/grammar/grammar-error.ts";
import type { FormatSpec, GrammarSpec } from "../../engine/grammar/grammar-spec.ts";
import type { TextModel } from "../../engine/text-model.ts";
import type { ToolPlan } from "../../engine/tools/tool-plan.ts";
import { invalidRequest } from "./api-error.ts";

/**
 * The grammar a request's output is held to: a forced tool call (tool_choice required or a named function)
 * wins, since the answer is then a call; tools under auto with a JSON format make it the JSON or calls, whichever
 * the model starts; otherwise the response format.
 */
export function outputGrammar(format: FormatSpec | null, plan: ToolPlan | null): GrammarSpec | null {
  if (plan?.grammar) return plan.grammar;
  if (format && plan?.autoCalls) return { kind: "format_or_calls", format, calls: plan.autoCalls };
  return format;
}

/**
 * The per-sequence constraint factory for a grammar, compiled (or found cached) before the request is queued, so
 * a schema the engine refuses is a 400 and never reaches the batch. Null without a grammar. `ignore_eos` cannot
 * go with one: a finished grammar allows only the end of the turn.
 */
export async function grammarConstraints(
  model: TextModel,
  grammar: GrammarSpec | null,
  ignoreEos: boolean,
  param: string,
): Promise<((sequenceIndex: number) => TokenConstraint) | null> {
  if (!grammar) return null;
  if (ignoreEos) {
    throw invalidRequest(
      "'ignore_eos' cannot be combined with structured output (a response format or a forced tool call): once the output is complete only the end of the turn is allowed.",
      "ignore_eos",
      "unsupported_parameter",
    );
  }
  const engine = grammarEngineFor(model.tokenizer, model.vocab, model.stopTokenIds);
  try {
    const prepared = await engine.prepare(grammar);
    return () => engine.constraint(prepared);
  } catch (err) {
    // A compile that ran too long has no path of its own: it is the whole field's.
    throw err instanceof GrammarError && err.path === "" ? err.under(param) : err;
  }
}

/** The special tokens' texts, which tell some tool families apart (Mistral's [TOOL_CALLS]). */
export function specialTokenTexts(model: TextModel): string[] {
  return [...model.tokenizer.specialIds].map((id) => model.tokenizer.tokenText(id));
}
