/**
 * Rotary settings from a config: `rope_theta` and `rope_scaling` (transformers ≤ 4.x), or `rope_parameters`
 * (transformers 5). Scaling types `linear` and `llama3` are built; any other is refused by name.
 */
import type { RopeScaling } from "../decoder-architecture.ts";
import type { ConfigFields } from "./config-fields.ts";

export const SUPPORTED_ROPE_SCALING = ["linear", "llama3"] as const;

export interface RopeConfig {
  theta: number;
  scaling: RopeScaling | null;
}

export function ropeConfig(c: ConfigFields, defaultTheta: number): RopeConfig {
  const parameters = record(c.json.rope_parameters);
  const scaling = record(c.json.rope_scaling) ?? parameters;
  const theta = typeof parameters?.rope_theta === "number" ? parameters.rope_theta : c.positive("rope_theta", defaultTheta);
  if (!(theta > 1) || !Number.isFinite(theta)) throw c.error(`rope_theta = ${theta} is not a base above 1`);
  if (!scaling) {
    if (c.has("rope_scaling")) throw c.error(`rope_scaling is ${JSON.stringify(c.json.rope_scaling)}, not an object`);
    return { theta, scaling: null };
  }
  const type = scaling.rope_type ?? scaling.type ?? "default";
  const num = (name: string): number => {
    const v = scaling[name];
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw c.error(`rope_scaling.${name} = ${JSON.stringify(v)} is not a positive number`);
    return v;
  };
  switch (type) {
    case "default":
      return { theta, scaling: null };
    case "linear":
      return { theta, scaling: { type: "linear", factor: num("factor") } };
    case "llama3": {
      const s: RopeScaling = {
        type: "llama3",
        factor: num("factor"),
        lowFreqFactor: num("low_freq_factor"),
        highFreqFactor: num("high_freq_factor"),
        originalMaxPositions: num("original_max_position_embeddings"),
      };
      if (s.highFreqFactor <= s.lowFreqFactor) throw c.error("rope_scaling.high_freq_factor must be above low_freq_factor");
      return { theta, scaling: s };
    }
    default:
      throw c.error(`rope_scaling type ${JSON.stringify(type)} is not supported (supported: ${SUPPORTED_ROPE_SCALING.join(", ")})`);
  }
}

function record(v: unknown): Record<string, unknown> | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}
