/** transformers' activation names (ACT2FN keys) → the MLP activations the graph writer builds. */
import type { DecoderArchitecture } from "../decoder-architecture.ts";
import type { ConfigFields } from "./config-fields.ts";

const ACTIVATIONS: Readonly<Record<string, DecoderArchitecture["mlp"]>> = {
  gelu_new: "gelu_tanh",
  gelu_pytorch_tanh: "gelu_tanh",
  gelu_fast: "gelu_tanh", // 0.5x(1 + tanh(0.7978845608x(1 + 0.044715x²))): the same function as gelu_new
  gelu: "gelu_erf",
  relu: "relu",
};

export function gpt2Activation(c: ConfigFields, field: string, fallback: string): DecoderArchitecture["mlp"] {
  const name = c.string(field, fallback);
  const mlp = ACTIVATIONS[name];
  if (!mlp) throw c.error(`${field} ${JSON.stringify(name)} is not supported (supported: ${Object.keys(ACTIVATIONS).join(", ")})`);
  return mlp;
}
