import type { ToolHistoryMessage } from "../../engine/tools/tool-prompt.ts";
import { joinTextParts, templateRole } from "../chat/chat-messages.ts";
import { invalidRequest } from "../shared/api-error.ts";
import { newId } from "../shared/ids.ts";
import type { ConversationItem, InputMessageItem, OutputMessageItem } from "./response-items-schema.ts";

const MESSAGE_ROLES = ["user", "assistant", "system", "developer"] as const;
type MessageRole = (typeof MESSAGE_ROLES)[number];
const TEXT_PARTS = new Set(["input_text", "output_text"]);
const MEDIA_PARTS = new Set(["input_image", "input_file", "input_audio"]);

/**
 * A request's `input` as conversation items, checked field by field so an error names `input[i].content[j]`: a
 * string is one user message; items are messages (roles user, assistant, system, developer; string content or
 * input_text / output_text parts), function_call and function_call_output items. Items get ids where they
 * have none, so input_items can list them.
 */
export function parseInput(input: string | unknown[]): ConversationItem[] {
  if (typeof input === "string") return [userMessage(input)];
  if (input.length === 0) throw invalidRequest("'input' must be a string or a non-empty array of items.", "input", "invalid_value");
  return input.map((raw, i) => parseItem(raw, `input[${i}]`));
}

function userMessage(text: string): InputMessageItem {
  return { type: "message", id: newId("msg", "_"), role: "user", status: "completed", content: [{ type: "input_text", text }] };
}

function parseItem(raw: unknown, at: string): ConversationItem {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw invalidRequest(`${at} must be an object: a message, a function_call or a function_call_output item.`, at);
  const item = raw as Record<string, unknown>;
  const type = item.type ?? "message";
  const id = optionalString(item.id, `${at}.id`);
  switch (type) {
    case "message":
      return parseMessage(item, at, id);
    case "function_call":
      return {
        type: "function_call",
        id: id ?? newId("fc", "_"),
        call_id: requiredString(item.call_id, `${at}.call_id`),
        name: requiredString(item.name, `${at}.name`),
        arguments: requiredString(item.arguments, `${at}.arguments`),
        status: "completed",
      };
    case "function_call_output":
      return {
        type: "function_call_output",
        id: id ?? newId("fco", "_"),
        call_id: requiredString(item.call_id, `${at}.call_id`),
        output: callOutput(item.output, `${at}.output`),
        status: "completed",
      };
    default:
      throw invalidRequest(
        `${at}.type '${String(type).slice(0, 40)}' is not supported; input items are messages, function_call and function_call_output items.`,
        `${at}.type`,
        "unsupported_parameter",
      );
  }
}

function parseMessage(item: Record<string, unknown>, at: string, id: string | null): InputMessageItem | OutputMessageItem {
  const role = item.role;
  if (typeof role !== "string") throw invalidRequest(`${at}.role is required and must be a string.`, `${at}.role`);
  if (!(MESSAGE_ROLES as readonly string[]).includes(role)) throw invalidRequest(`${at}.role '${role.slice(0, 40)}' is not one of ${MESSAGE_ROLES.join(", ")}.`, `${at}.role`);
  const texts = contentTexts(item.content, `${at}.content`);
  if (role === "assistant") {
    return { type: "message", id: id ?? newId("msg", "_"), role, status: "completed", content: texts.map((text) => ({ type: "output_text", text, annotations: [] })) };
  }
  return { type: "message", id: id ?? newId("msg", "_"), role: role as Exclude<MessageRole, "assistant">, status: "completed", content: texts.map((text) => ({ type: "input_text", text })) };
}

/** Text content (`param` names it): a string, or text parts; a part a text model cannot read is refused by name, never dropped. */
function contentTexts(content: unknown, param: string): string[] {
  if (typeof content === "string") return [content];
  if (!Array.isArray(content)) throw invalidRequest(`${param} must be a string or an array of input_text parts.`, param);
  return content.map((part, j) => {
    const p = `${param}[${j}]`;
    if (!part || typeof part !== "object") throw invalidRequest(`${p} must be an object like {"type": "input_text", "text": "..."}.`, p);
    const { type, text, refusal } = part as { type?: unknown; text?: unknown; refusal?: unknown };
    if (type === "refusal") return requiredString(refusal, `${p}.refusal`);
    if (typeof type === "string" && MEDIA_PARTS.has(type)) {
      throw invalidRequest(`${p}: content parts of type '${type}' are not supported by this model; only input_text and output_text parts are.`, `${p}.type`, "unsupported_content_type");
    }
    if (typeof type !== "string" || !TEXT_PARTS.has(type)) throw invalidRequest(`${p}.type must be 'input_text' or 'output_text'.`, `${p}.type`);
    return requiredString(text, `${p}.text`);
  });
}

/** A function's result: a string, or input_text parts (joined as message parts are). */
function callOutput(output: unknown, param: string): string {
  return typeof output === "string" ? output : joinTextParts(contentTexts(output, param));
}

function requiredString(value: unknown, param: string): string {
  if (typeof value !== "string") throw invalidRequest(`${param} is required and must be a string.`, param);
  return value;
}

function optionalString(value: unknown, param: string): string | null {
  if (value === undefined || value === null) return null;
  return requiredString(value, param);
}

/**
 * The conversation the chat template renders for a turn: the instructions as the system message, then the
 * earlier turns (previous_response_id), then this input, each as /v1/chat/completions would render the same
 * messages. A function_call item is a call of the assistant turn before it (several in a row are one turn's
 * calls); a function_call_output item is a tool message answering its call_id.
 */
export function templateConversation(instructions: string | null, earlier: readonly ConversationItem[], input: readonly ConversationItem[]): ToolHistoryMessage[] {
  const messages: ToolHistoryMessage[] = instructions !== null ? [{ role: "system", content: instructions }] : [];
  const add = (item: ConversationItem) => {
    switch (item.type) {
      case "message":
        messages.push({ role: templateRole(item.role), content: joinTextParts(item.content.map((p) => p.text)) });
        return;
      case "function_call_output":
        messages.push({ role: "tool", content: item.output, tool_call_id: item.call_id });
        return;
      case "function_call": {
        const call = { id: item.call_id, name: item.name, arguments: item.arguments };
        const last = messages.at(-1);
        if (last?.role === "assistant") last.tool_calls = [...(last.tool_calls ?? []), call];
        else messages.push({ role: "assistant", content: "", tool_calls: [call] });
        return;
      }
    }
  };
  earlier.forEach(add);
  input.forEach(add);
  return messages;
}
