// A stand-in entry for packaging work while the server is not ready: it exercises every piece the executable must
// carry (transformers.js tokenizer from a local folder, an onnxruntime-node session, tiktoken's wasm) and, with
// `--serve`, answers GET /healthz like the server. Models are written to a temp folder, so it needs no files.
import { AutoTokenizer, env } from "@huggingface/transformers";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { versionLine } from "../../src/platform/build-info.ts";
import { prepareNativeLibrariesOrExit } from "../../src/platform/prepare-or-exit.ts";
import { getTiktokenEncoding } from "../../src/platform/tiktoken.ts";
import { GrammarEngine } from "../../src/engine/grammar/grammar-engine.ts";
import { checkJsonSchema } from "../../src/engine/grammar/schema-check.ts";

/** The grammar worker (a second entrypoint of the executable) over a tiny byte vocabulary: one mask. */
async function grammarProbe(): Promise<string> {
  const size = 258;
  const bytes = new Uint8Array(256).map((_, i) => i);
  const offsets = Uint32Array.from({ length: size + 1 }, (_, i) => Math.min(i, 256));
  // GPT-2's byte alphabet for printable ASCII is the character itself; other bytes are left out of this probe.
  const pieces = Array.from({ length: size }, (_, i) => (i >= 33 && i <= 126 ? String.fromCharCode(i) : ""));
  const engine = new GrammarEngine({ pieces, kind: "byte_level", prependSpace: false, vocabSize: size, stopTokenIds: [257], bytes: { bytes, offsets } });
  try {
    const grammar = await engine.prepare({ kind: "json_schema", schema: checkJsonSchema({ type: "object", properties: { a: { type: "integer", maximum: 5 } }, required: ["a"] }).schema });
    const mask = await engine.constraint(grammar).nextMask();
    const allowed = [...Array(size).keys()].filter((id) => (mask![id >> 5]! >>> (id & 31)) & 1);
    return `grammar: ${allowed.map((id) => String.fromCharCode(id)).join(" ")}`;
  } finally {
    engine.shutdown();
  }
}

function varint(value: number): number[] {
  const out: number[] = [];
  while (value > 0x7f) {
    out.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  out.push(value);
  return out;
}
const field = (n: number, bytes: number[]): number[] => [...varint((n << 3) | 2), ...varint(bytes.length), ...bytes];
const str = (n: number, s: string): number[] => field(n, [...new TextEncoder().encode(s)]);
const int = (n: number, v: number): number[] => [...varint(n << 3), ...varint(v)];

/** ONNX model `y = a + b` over float tensors of shape [n]. */
function addModel(): Uint8Array {
  // ValueInfo: name, type { tensor_type { elem_type FLOAT, shape { dim { dim_param "n" } } } }
  const valueInfo = (name: string) => [...str(1, name), ...field(2, field(1, [...int(1, 1), ...field(2, field(1, str(2, "n")))]))];
  const node = [...str(1, "a"), ...str(1, "b"), ...str(2, "y"), ...str(4, "Add")];
  const graph = [...field(1, node), ...str(2, "probe"), ...field(11, valueInfo("a")), ...field(11, valueInfo("b")), ...field(12, valueInfo("y"))];
  return new Uint8Array([...int(1, 8), ...field(7, graph), ...field(8, [...str(1, ""), ...int(2, 17)])]);
}

async function probe(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "gpt3dev-probe-"));
  try {
    writeFileSync(join(dir, "model.onnx"), addModel());
    writeFileSync(
      join(dir, "tokenizer.json"),
      JSON.stringify({
        version: "1.0", truncation: null, padding: null, added_tokens: [], normalizer: null,
        pre_tokenizer: { type: "Whitespace" }, post_processor: null, decoder: null,
        model: { type: "WordLevel", vocab: { "[UNK]": 0, hello: 1, world: 2 }, unk_token: "[UNK]" },
      }),
    );
    writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify({ tokenizer_class: "PreTrainedTokenizer" }));
    env.allowRemoteModels = false;
    const tokenizer = await AutoTokenizer.from_pretrained(dir);
    const ids = tokenizer.encode("hello world");
    const session = await ort.InferenceSession.create(join(dir, "model.onnx"));
    const a = new ort.Tensor("float32", Float32Array.from([1, 2, 3]), [3]);
    const b = new ort.Tensor("float32", Float32Array.from([10, 20, 30]), [3]);
    const { y } = await session.run({ a, b });
    const gpt2 = await getTiktokenEncoding("gpt2");
    return [
      `tokenizer: ${ids.join(" ")}`,
      `onnxruntime: ${Array.from(y?.data as Float32Array).join(" ")}`,
      `tiktoken: ${Array.from(gpt2.encode("The quick brown fox")).join(" ")}`,
      await grammarProbe(),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
if (args.includes("--version")) {
  console.log(versionLine());
} else {
  prepareNativeLibrariesOrExit();
  const lines = await probe();
  console.log(lines.join("\n"));
  if (args.includes("--serve")) {
    const portIndex = args.indexOf("--port");
    const port = portIndex >= 0 ? Number(args[portIndex + 1]) : 8000;
    const healthz = (req: Request) => new URL(req.url).pathname === "/healthz";
    Bun.serve({ port, hostname: "127.0.0.1", fetch: (req) => new Response(null, { status: healthz(req) ? 200 : 404 }) });
    console.log(`probe serving on ${port}`);
  }
}
