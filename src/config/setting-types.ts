/** Parsers for setting values: each returns the typed value or throws a one-line reason. */
export type Parser<T> = (raw: string) => T;

export const str: Parser<string> = (raw) => raw;

export const bool: Parser<boolean> = (raw) => {
  const v = raw.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off", ""].includes(v)) return false;
  throw new Error(`expected true or false, got '${raw}'`);
};

export function int(min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> {
  return (raw) => {
    const t = raw.trim();
    if (!/^-?\d+$/.test(t)) throw new Error(`expected an integer, got '${raw}'`);
    const n = Number(t);
    if (n < min || n > max) throw new Error(`expected an integer in ${min}..${max}, got ${n}`);
    return n;
  };
}

/** Byte sizes: 4194304, 4mb, 512k, 1MiB. */
export const bytes: Parser<number> = (raw) => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(i?b)?\s*$/i.exec(raw);
  if (!m) throw new Error(`expected a size like 4mb or 1048576, got '${raw}'`);
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  const n = Math.floor(Number(m[1]) * mult);
  if (n < 1024) throw new Error(`must be at least 1kb, got '${raw}'`);
  return n;
};

/** Durations in milliseconds: 30s, 500ms, 2m, 1h, or a bare number of milliseconds. */
export const duration: Parser<number> = (raw) => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(raw);
  if (!m) throw new Error(`expected a duration like 30s, 500ms, 2m or 1h, got '${raw}'`);
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "ms").toLowerCase() as "ms" | "s" | "m" | "h"];
  return Math.round(Number(m[1]) * mult);
};

export function oneOf<T extends string>(...values: T[]): Parser<T> {
  return (raw) => {
    const v = raw.trim().toLowerCase();
    if ((values as string[]).includes(v)) return v as T;
    throw new Error(`expected one of ${values.join(", ")}, got '${raw}'`);
  };
}

/** Comma-separated list; blanks dropped. */
export const list: Parser<string[]> = (raw) =>
  raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
