import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TextTokenizer } from "../../src/engine/tokenizer/text-tokenizer.ts";
import { toolRequest } from "../../src/engine/tools/tool-definitions.ts";
import { templateTakesTools, toolFamily } from "../../src/engine/tools/tool-family.ts";
import { renderTools, type ToolHistoryMessage } from "../../src/engine/tools/tool-prompt.ts";

const FIXTURES = join(import.meta.dir, "..", "fixtures", "chat-templates");
const HERMES = readFileSync(join(FIXTURES, "hermes-tools.jinja"), "utf8");
const LLAMA3 = readFileSync(join(FIXTURES, "llama3-tools.jinja"), "utf8");
const MODEL_DIR = join(process.env.TEST_MODELS_DIR ?? ".cache/test-models", "test-chat");

const WEATHER = { type: "function", function: { name: "get_weather", description: "Current weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } };
const HISTORY: ToolHistoryMessage[] = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "Weather in Paris and Oslo?" },
  { role: "assistant", content: "", tool_calls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }, { id: "call_2", name: "get_weather", arguments: '{"city":"Oslo"}' }] },
  { role: "tool", content: "18C sunny", tool_call_id: "call_1" },
  { role: "tool", content: "4C rain", tool_call_id: "call_2" },
];

async function tokenizerWith(template: string | null): Promise<TextTokenizer> {
  return TextTokenizer.load(MODEL_DIR, { chatTemplate: template, tiktoken: null });
}

function render(tok: TextTokenizer, choice: unknown = "auto"): string {
  const r = renderTools(tok.chatTemplate, HISTORY, toolRequest([WEATHER], choice, true));
  return tok.renderChat(r.messages, true, r.tools);
}

/** A rendered call (not the instruction's placeholder example). */
const CALL = /<tool_call>\n(\{"name": ?"[A-Za-z0-9_-]+".*)\n<\/tool_call>/g;

/** The JSON lines between <tools> and </tools>. */
function listedTools(prompt: string): unknown[] {
  const m = /<tools>\n([\s\S]*?)\n<\/tools>/.exec(prompt);
  return m ? m[1]!.split("\n").map((l) => JSON.parse(l)) : [];
}

describe("families are read from the template", () => {
  test("detection", async () => {
    expect(toolFamily(HERMES)).toBe("hermes");
    expect(toolFamily(LLAMA3)).toBe("llama3");
    const chatml = (await tokenizerWith(null)).chatTemplate;
    expect(toolFamily(chatml)).toBe("default");
    expect(templateTakesTools(HERMES) && templateTakesTools(LLAMA3)).toBe(true);
    expect(templateTakesTools(chatml)).toBe(false);
    expect(toolFamily(null, ["[TOOL_CALLS]"])).toBe("mistral");
  });
});

describe("Hermes / Qwen-style template renders tools and tool history itself", () => {
  let tok: TextTokenizer;
  beforeAll(async () => {
    tok = await tokenizerWith(HERMES);
  });
  test("tools listed as JSON in the system turn, calls and results in the family's tags", () => {
    const prompt = render(tok);
    expect(listedTools(prompt)).toEqual([WEATHER]);
    expect(prompt).toContain("Be brief.");
    const calls = [...prompt.matchAll(CALL)].map((m) => JSON.parse(m[1]!));
    expect(calls).toEqual([{ name: "get_weather", arguments: { city: "Paris" } }, { name: "get_weather", arguments: { city: "Oslo" } }]);
    expect(prompt).toContain("<|im_start|>user\n<tool_response>\n18C sunny\n</tool_response>\n<tool_response>\n4C rain\n</tool_response><|im_end|>");
    expect(prompt.endsWith("<|im_start|>assistant\n")).toBe(true);
  });
  test("tool_choice none leaves the definitions out", () => {
    expect(listedTools(render(tok, "none"))).toEqual([]);
  });
});

describe("Llama 3-style template", () => {
  test("tools in the first user turn, calls with parameters, results as ipython", async () => {
    const tok = await tokenizerWith(LLAMA3);
    const prompt = render(tok);
    expect(prompt).toContain("Environment: ipython");
    const listed = prompt.split("\n").filter((l) => l.startsWith('{"type": "function"')).map((l) => JSON.parse(l));
    expect(listed).toEqual([WEATHER]);
    const calls = [...prompt.matchAll(/<\|end_header_id\|>\n\n(\{"name".*?)<\|eot_id\|>/g)].map((m) => JSON.parse(m[1]!));
    expect(calls).toEqual([{ name: "get_weather", parameters: { city: "Paris" } }, { name: "get_weather", parameters: { city: "Oslo" } }]);
    expect(prompt).toContain("<|start_header_id|>ipython<|end_header_id|>\n\n4C rain<|eot_id|>");
  });
});

describe("a template without tools gets our default format", () => {
  test("system block, calls as <tool_call>, results merged in one user turn", async () => {
    const tok = await tokenizerWith(null);
    const prompt = render(tok, { type: "function", function: { name: "get_weather" } });
    expect(listedTools(prompt)).toEqual([WEATHER]);
    expect(prompt).toContain('You must call the function "get_weather".');
    expect(prompt.startsWith("<|im_start|>system\nBe brief.\n\n# Tools")).toBe(true);
    const calls = [...prompt.matchAll(CALL)].map((m) => JSON.parse(m[1]!));
    expect(calls).toEqual([{ name: "get_weather", arguments: { city: "Paris" } }, { name: "get_weather", arguments: { city: "Oslo" } }]);
    expect(prompt).toContain('<|im_start|>user\n<tool_response>\n{"name":"get_weather","content":"18C sunny"}\n</tool_response>\n<tool_response>\n{"name":"get_weather","content":"4C rain"}\n</tool_response><|im_end|>');
  });
});
