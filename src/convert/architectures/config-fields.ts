/**
 * Typed, checked access to a config.json: every field an architecture reads goes through here, so a missing,
 * mistyped or absurd value is a ConvertError naming the field, and limits live in one place.
 */
import { ConvertError } from "../convert-error.ts";

export const CONFIG_FILE = "config.json";

/** Sizes no real checkpoint reaches; beyond them a config is refused before anything is allocated. */
export const LIMITS = {
  layers: 512,
  hidden: 65536,
  vocab: 2 ** 22,
  heads: 1024,
  headDim: 1024,
  intermediate: 2 ** 20,
  positions: 2 ** 24,
} as const;

export class ConfigFields {
  constructor(
    readonly json: Readonly<Record<string, unknown>>,
    /** The architecture reading it, for messages ("gpt2", "llama"). */
    readonly architecture: string,
  ) {}

  has(name: string): boolean {
    return this.json[name] !== undefined && this.json[name] !== null;
  }

  /** An integer in [min, max]; `fallback` when the field is absent or null (undefined = required). */
  int(name: string, min: number, max: number, fallback?: number): number {
    const v = this.json[name];
    if (v === undefined || v === null) {
      if (fallback === undefined) throw this.error(`has no ${name}`);
      return fallback;
    }
    if (typeof v !== "number" || !Number.isInteger(v)) throw this.error(`${name} is ${JSON.stringify(v)}, not an integer`);
    if (v < min || v > max) throw this.error(`${name} = ${v} is outside [${min}, ${max}]`);
    return v;
  }

  /** A finite number in (0, max]; `fallback` when absent. */
  positive(name: string, fallback: number | undefined, max = Number.MAX_VALUE): number {
    const v = this.json[name];
    if (v === undefined || v === null) {
      if (fallback === undefined) throw this.error(`has no ${name}`);
      return fallback;
    }
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0 || v > max) throw this.error(`${name} = ${JSON.stringify(v)} is not a positive number`);
    return v;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.json[name];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "boolean") throw this.error(`${name} is ${JSON.stringify(v)}, not true or false`);
    return v;
  }

  string(name: string, fallback: string): string {
    const v = this.json[name];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "string") throw this.error(`${name} is ${JSON.stringify(v)}, not a string`);
    return v;
  }

  /** A token id or a list of them (eos_token_id may be either). */
  tokenIds(name: string): number[] {
    const v = this.json[name];
    const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
    return list.filter((x): x is number => typeof x === "number" && Number.isInteger(x) && x >= 0);
  }

  error(problem: string): ConvertError {
    return new ConvertError("unsupported_config", `${CONFIG_FILE}: ${this.architecture} config ${problem}`, CONFIG_FILE);
  }
}

/** `a` divided by `b` when it divides exactly, else an error naming both fields. */
export function exactDivision(c: ConfigFields, a: { name: string; value: number }, b: { name: string; value: number }): number {
  if (a.value % b.value !== 0) throw c.error(`${a.name} = ${a.value} is not divisible by ${b.name} = ${b.value}`);
  return a.value / b.value;
}
