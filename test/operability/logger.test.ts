/** Unit: LOG_LEVEL filters, both formats give one line per event, values cannot break the line. */
import { expect, test } from "bun:test";
import { Logger } from "../../src/observability/logger.ts";

function capture(level: "debug" | "info" | "warn" | "error", format: "text" | "json") {
  const lines: string[] = [];
  const logger = new Logger({ level, format, write: (l) => lines.push(l), now: () => new Date(0) });
  return { logger, lines };
}

test("LOG_LEVEL drops what is below it", () => {
  const { logger, lines } = capture("warn", "json");
  logger.debug("d");
  logger.info("i");
  logger.warn("w");
  logger.error("e");
  expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["w", "e"]);
  expect(logger.enabled("info")).toBe(false);
});

test("json: one object per line, undefined fields left out", () => {
  const { logger, lines } = capture("debug", "json");
  logger.info("request", { request_id: "r1", status: 200, model: undefined, note: "a\nb" });
  expect(lines).toHaveLength(1);
  expect(lines[0]!.endsWith("\n")).toBe(true);
  expect(lines[0]!.trimEnd().includes("\n")).toBe(false);
  expect(JSON.parse(lines[0]!)).toEqual({ time: "1970-01-01T00:00:00.000Z", level: "info", msg: "request", request_id: "r1", status: 200, note: "a\nb" });
});

test("text: key=value, quoted when a value has spaces, quotes, = or control characters", () => {
  const { logger, lines } = capture("info", "text");
  logger.info("request", { id: "r1", path: "/a b", evil: 'x" y=1\nFAKE', n: 3 });
  expect(lines).toEqual(['1970-01-01T00:00:00.000Z INFO  request id=r1 path="/a b" evil="x\\" y=1\\nFAKE" n=3\n']);
});
