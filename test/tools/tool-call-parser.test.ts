import { expect, test } from "bun:test";
import { ToolCallParser, type ToolParseEvent } from "../../src/engine/tools/tool-call-parser.ts";
import type { ToolFamily } from "../../src/engine/tools/tool-family.ts";

/** Assembles events the way an OpenAI client assembles stream deltas. */
function assemble(events: ToolParseEvent[]) {
  let content = "";
  const calls: { id: string; name: string; arguments: string }[] = [];
  for (const e of events) {
    if (e.type === "content") content += e.text;
    else if (e.type === "call") {
      expect(e.index).toBe(calls.length);
      calls.push({ id: e.id, name: e.name, arguments: "" });
    } else calls[e.index]!.arguments += e.text;
  }
  return { content, calls: calls.map(({ name, arguments: a }) => ({ name, arguments: a })) };
}

function parseSplit(family: ToolFamily, text: string, cuts: number[]) {
  let n = 0;
  const p = new ToolCallParser(family, () => `call_${n++}`);
  const events: ToolParseEvent[] = [];
  let at = 0;
  for (const c of [...cuts, text.length]) {
    events.push(...p.feed(text.slice(at, c)));
    at = c;
  }
  events.push(...p.finish());
  return assemble(events);
}

const CASES: { family: ToolFamily; text: string; want: ReturnType<typeof assemble> }[] = [
  {
    family: "hermes",
    text: 'Let me check.<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "unit": "c"}}\n</tool_call>\n<tool_call>\n{"name":"time","arguments":{}}\n</tool_call>',
    want: { content: "Let me check.", calls: [{ name: "get_weather", arguments: '{"city": "Paris", "unit": "c"}' }, { name: "time", arguments: "{}" }] },
  },
  { family: "hermes", text: "No tools needed: a < b and <tool is fine.", want: { content: "No tools needed: a < b and <tool is fine.", calls: [] } },
  { family: "hermes", text: "<tool_call> is the tag; <tool_call>\n{}</tool_call> is none", want: { content: "<tool_call> is the tag; <tool_call>\n{}</tool_call> is none", calls: [] } },
  { family: "hermes", text: '<tool_call>{"arguments": {"q": "x}"}, "name": "search"}</tool_call>', want: { content: "", calls: [{ name: "search", arguments: '{"q": "x}"}' }] } },
  { family: "llama3", text: '<|python_tag|>{"name": "get_weather", "parameters": {"city": "Oslo"}}', want: { content: "", calls: [{ name: "get_weather", arguments: '{"city": "Oslo"}' }] } },
  { family: "llama3", text: '{"name": "a", "parameters": {"x": 1}}; {"name": "b", "parameters": {}}', want: { content: "", calls: [{ name: "a", arguments: '{"x": 1}' }, { name: "b", arguments: "{}" }] } },
  { family: "llama3", text: "The answer is {not a call}.", want: { content: "The answer is {not a call}.", calls: [] } },
  { family: "mistral", text: '[TOOL_CALLS][{"name": "f", "arguments": {"a": [1, 2]}}, {"name": "g", "arguments": {"b": "]"}}]', want: { content: "", calls: [{ name: "f", arguments: '{"a": [1, 2]}' }, { name: "g", arguments: '{"b": "]"}' }] } },
  { family: "mistral", text: '[{"name": "f", "arguments": {}}]', want: { content: "", calls: [{ name: "f", arguments: "{}" }] } },
  { family: "mistral", text: "Plain answer.", want: { content: "Plain answer.", calls: [] } },
];

for (const c of CASES) {
  test(`${c.family}: ${c.text.slice(0, 50)} — same result split at every position`, () => {
    expect(parseSplit(c.family, c.text, [])).toEqual(c.want);
    for (let i = 1; i < c.text.length; i++) expect(parseSplit(c.family, c.text, [i])).toEqual(c.want);
    // and one character at a time
    expect(parseSplit(c.family, c.text, Array.from({ length: c.text.length - 1 }, (_, i) => i + 1))).toEqual(c.want);
  });
}

test("a call cut off keeps its partial arguments; an unnamed one is content", () => {
  expect(parseSplit("hermes", '<tool_call>{"name": "f", "arguments": {"a": "hal', [])).toEqual({ content: "", calls: [{ name: "f", arguments: '{"a": "hal' }] });
  expect(parseSplit("hermes", '<tool_call>{"na', [])).toEqual({ content: '<tool_call>{"na', calls: [] });
  expect(parseSplit("hermes", '<tool_call>\n{"na', [5, 12])).toEqual({ content: '<tool_call>\n{"na', calls: [] });
});
