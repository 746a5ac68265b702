/** Unit: the exposition format (HELP/TYPE, labels escaped, cumulative buckets, +Inf, _sum and _count). */
import { expect, test } from "bun:test";
import { Counter, Gauge, Histogram, MetricsRegistry } from "../../src/http/observability/prometheus.ts";

test("counters, gauges and histograms render as Prometheus text", () => {
  const reg = new MetricsRegistry();
  const c = reg.add(new Counter("x_total", "Things."));
  c.inc({ route: '/a"b\\c\nd' });
  c.inc({ route: "/b" }, 2);
  reg.add(new Gauge("depth", "Depth.", () => [{ value: 7 }]));
  const h = reg.add(new Histogram("lat_seconds", "Latency.", [0.1, 1]));
  h.observe({ m: "a" }, 0.05);
  h.observe({ m: "a" }, 0.5);
  h.observe({ m: "a" }, 5);
  h.observe({ m: "a" }, Number.NaN); // ignored
  expect(reg.render()).toBe(
    [
      "# HELP x_total Things.",
      "# TYPE x_total counter",
      'x_total{route="/a\\"b\\\\c\\nd"} 1',
      'x_total{route="/b"} 2',
      "# HELP depth Depth.",
      "# TYPE depth gauge",
      "depth 7",
      "# HELP lat_seconds Latency.",
      "# TYPE lat_seconds histogram",
      'lat_seconds_bucket{m="a",le="0.1"} 1',
      'lat_seconds_bucket{m="a",le="1"} 2',
      'lat_seconds_bucket{m="a",le="+Inf"} 3',
      'lat_seconds_sum{m="a"} 5.55',
      'lat_seconds_count{m="a"} 3',
      "",
    ].join("\n"),
  );
  expect(c.value({ route: "/b" })).toBe(2);
  expect(c.value({ route: "/never" })).toBe(0);
  expect(h.count({ m: "a" })).toBe(3);
});
