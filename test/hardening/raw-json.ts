/** A JSON fragment written as is: keys like "__proto__", deep nesting and literals JSON.stringify cannot make. */
export class RawJson {
  constructor(readonly text: string) {}
}

export type JsonLike = RawJson | string | number | boolean | null | JsonLike[] | { [key: string]: JsonLike };

/** JSON text of a value that may hold RawJson fragments (numbers that JSON cannot hold are written raw too). */
export function toJson(value: JsonLike): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(",")}}`;
  }
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value);
}

export const deepArray = (depth: number) => new RawJson("[".repeat(depth) + "]".repeat(depth));
export const deepObject = (depth: number) => new RawJson('{"a":'.repeat(depth) + "1" + "}".repeat(depth));
