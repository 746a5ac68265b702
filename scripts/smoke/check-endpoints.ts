// The user-visible checks shared by the executable smoke test and the container check: a completion, a streamed
// chat, a chat held to a JSON schema (which needs the grammar worker, a second entrypoint of the executable) and
// an embedding against a running server, each verified in the OpenAI shape a client would parse.
// As a script: `bun run scripts/smoke/check-endpoints.ts <base url> <registry.yaml>`.
import type { SmokeModels } from "./test-model-names.ts";
import { smokeModels } from "./test-model-names.ts";

export class CheckFailed extends Error {
  override readonly name = "CheckFailed";
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckFailed(message);
}

async function postJson(baseUrl: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
}

async function jsonOf(response: Response, what: string): Promise<Record<string, unknown>> {
  const text = await response.text();
  check(response.status === 200, `${what}: HTTP ${response.status}: ${text.slice(0, 300)}`);
  const value: unknown = JSON.parse(text);
  check(typeof value === "object" && value !== null, `${what}: body is not a JSON object`);
  return value as Record<string, unknown>;
}

export async function checkCompletion(baseUrl: string, model: string): Promise<string> {
  const body = await jsonOf(
    await postJson(baseUrl, "/v1/completions", { model, prompt: "The quick brown fox", max_tokens: 8, temperature: 0 }),
    "completion",
  );
  const choices = body.choices as { text?: unknown; finish_reason?: unknown }[] | undefined;
  const usage = body.usage as { completion_tokens?: unknown } | undefined;
  check(body.object === "text_completion", `completion: object is ${String(body.object)}`);
  check(typeof choices?.[0]?.text === "string", "completion: choices[0].text is not a string");
  check(typeof usage?.completion_tokens === "number" && usage.completion_tokens > 0, "completion: no completion tokens counted");
  return `completion ok (${usage.completion_tokens} tokens, finish_reason ${String(choices[0]?.finish_reason)})`;
}

export async function checkStreamedChat(baseUrl: string, model: string): Promise<string> {
  const response = await postJson(baseUrl, "/v1/chat/completions", {
    model,
    messages: [{ role: "user", content: "Say hello." }],
    max_tokens: 8,
    temperature: 0,
    stream: true,
  });
  const text = await response.text();
  check(response.status === 200, `streamed chat: HTTP ${response.status}: ${text.slice(0, 300)}`);
  check(response.headers.get("content-type")?.startsWith("text/event-stream"), "streamed chat: not text/event-stream");
  const frames = text.split("\n").filter((line) => line.startsWith("data: ")).map((line) => line.slice(6));
  check(frames.at(-1) === "[DONE]", "streamed chat: the stream does not end with data: [DONE]");
  const chunks = frames.slice(0, -1).map((frame) => JSON.parse(frame) as Record<string, unknown>);
  check(chunks.length >= 2, `streamed chat: only ${chunks.length} chunks`);
  check(chunks.every((chunk) => chunk.object === "chat.completion.chunk" && !("error" in chunk)), "streamed chat: a chunk is not a chat.completion.chunk");
  const choices = chunks.flatMap((chunk) => (chunk.choices as { finish_reason?: unknown }[] | undefined) ?? []);
  const finish = choices.map((choice) => choice.finish_reason).find((reason) => typeof reason === "string");
  check(finish === "stop" || finish === "length", "streamed chat: no chunk carries a finish_reason");
  return `streamed chat ok (${chunks.length} chunks, finish_reason ${finish})`;
}

/** A json_schema chat: the output must parse and hold to the schema (the grammar engine's worker runs). */
export async function checkStructuredChat(baseUrl: string, model: string): Promise<string> {
  const schema = {
    type: "object",
    properties: { word: { type: "string", minLength: 1, maxLength: 8 }, count: { type: "integer", minimum: 1, maximum: 9 }, mood: { enum: ["calm", "glad"] } },
    required: ["word", "count", "mood"],
    additionalProperties: false,
  };
  const body = await jsonOf(
    await postJson(baseUrl, "/v1/chat/completions", {
      model,
      messages: [{ role: "user", content: "Answer in JSON." }],
      response_format: { type: "json_schema", json_schema: { name: "answer", schema, strict: true } },
      max_tokens: 100,
      temperature: 0,
    }),
    "json_schema chat",
  );
  const choice = (body.choices as { message?: { content?: unknown }; finish_reason?: unknown }[] | undefined)?.[0];
  const content = choice?.message?.content;
  check(typeof content === "string", "json_schema chat: no message content");
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(content) as Record<string, unknown>;
  } catch {
    throw new CheckFailed(`json_schema chat: the output is not JSON: ${content.slice(0, 200)}`);
  }
  const word = value.word;
  const count = value.count;
  check(
    typeof word === "string" && [...word].length >= 1 && [...word].length <= 8 && Number.isInteger(count) && (count as number) >= 1 && (count as number) <= 9 &&
      (value.mood === "calm" || value.mood === "glad") && Object.keys(value).length === 3,
    `json_schema chat: the output does not hold to its schema: ${content.slice(0, 200)}`,
  );
  check(choice?.finish_reason === "stop", `json_schema chat: finish_reason ${String(choice?.finish_reason)}, expected stop`);
  return `json_schema chat ok (${content})`;
}

export async function checkEmbedding(baseUrl: string, model: string): Promise<string> {
  const body = await jsonOf(await postJson(baseUrl, "/v1/embeddings", { model, input: ["hello world", "goodbye"] }), "embedding");
  const data = body.data as { embedding?: unknown; index?: unknown }[] | undefined;
  check(Array.isArray(data) && data.length === 2, "embedding: data does not hold two embeddings");
  const vectors = data.map((item) => item.embedding);
  check(
    vectors.every((v) => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "number" && Number.isFinite(x))),
    "embedding: an embedding is not an array of finite numbers",
  );
  const dims = (vectors[0] as number[]).length;
  check((vectors[1] as number[]).length === dims, "embedding: the two embeddings differ in length");
  return `embedding ok (2 × ${dims} dims)`;
}

/** Runs every check; returns one line per check, throws CheckFailed on the first failure. */
export async function checkEndpoints(baseUrl: string, models: SmokeModels): Promise<string[]> {
  return [
    await checkCompletion(baseUrl, models.completion),
    await checkStreamedChat(baseUrl, models.chat),
    await checkStructuredChat(baseUrl, models.chat),
    await checkEmbedding(baseUrl, models.embedding),
  ];
}

if (import.meta.main) {
  const [baseUrl, registry] = process.argv.slice(2);
  if (!baseUrl || !registry) {
    console.error("usage: bun run scripts/smoke/check-endpoints.ts <base url> <registry.yaml>");
    process.exit(2);
  }
  try {
    for (const line of await checkEndpoints(baseUrl, smokeModels(registry))) console.log(line);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
