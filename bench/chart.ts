// bench/chart.ts: --chart FILE.svg, IOPS vs queue depth per implementation
// for 4 KiB random page-cache reads. A Vega-Lite spec compiled to Vega and
// rendered by vega's headless View.toSVG() (no browser, no canvas: text is
// measured by estimate), which runs under Bun, Deno and Node alike.
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { Header, Result } from "./types.ts";
import { runnerLabel } from "./suites.ts";

export interface Point {
  qd: number;
  iops: number;
  impl: string;
}

/** The results the chart plots: 4 KiB page-cache randread, plain buffers, no SQPOLL, default batch, that produced a median. */
export function chartPoints(results: readonly Result[]): Point[] {
  return results
    .filter((r) => {
      const c = r.case;
      return c.workload === "randread" && c.bs === 4096 && !c.direct && !c.fixed && !c.files && !c.sqpoll && r.iops !== null;
    })
    .map((r) => ({ qd: r.case.qd, iops: Math.round(r.iops as number), impl: runnerLabel(r.runner) }));
}

/** The Vega-Lite spec: a line per implementation, log-scaled axes (QD 1…128; IOPS span 20x between fs and io_uring). */
export function chartSpec(points: readonly Point[], header: Header): TopLevelSpec {
  const qds = [...new Set(points.map((p) => p.qd))].sort((a, b) => a - b);
  const order = [...new Set(points.map((p) => p.impl))];
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: "4 KiB random reads from the page cache: IOPS vs queue depth",
      subtitle: `${header.cpu}, ${header.cores} CPUs · Linux ${header.kernel} · ${header.pinned ? "pinned to one CPU" : "unpinned"} · median of ${header.rounds} rounds`,
    },
    width: 560,
    height: 360,
    background: "white",
    data: { values: points.map((p) => ({ ...p })) },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "qd", type: "quantitative", title: "queue depth", scale: { type: "log", base: 2, domain: [qds[0] ?? 1, qds[qds.length - 1] ?? 128] }, axis: { values: qds, format: "d" } },
      y: { field: "iops", type: "quantitative", title: "IOPS", scale: { type: "log" }, axis: { format: "~s" } },
      color: { field: "impl", type: "nominal", title: "implementation", sort: order },
      tooltip: [{ field: "impl" }, { field: "qd" }, { field: "iops", format: "," }],
    },
  };
}

/** The chart as an SVG document (throws when there is nothing to plot). */
export async function renderChart(results: readonly Result[], header: Header): Promise<string> {
  const points = chartPoints(results);
  if (points.length === 0) throw new Error("no 4 KiB page-cache randread result to chart (try --suite full, or --workload randread --qd 1,8,32,128)");
  const spec = compile(chartSpec(points, header)).spec;
  const view = new vega.View(vega.parse(spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
