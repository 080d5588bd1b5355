// bench/chart.ts: --chart FILE.svg, IOPS vs queue depth per implementation
// for 4 KiB random page-cache reads. A Vega-Lite spec compiled to Vega and
// rendered by vega's headless View.toSVG() (no browser, no canvas: text is
// measured by estimate), which runs under Bun, Deno and Node alike.
// vega and vega-lite are devDependencies, loaded only for --chart: the
// installed package has no dependencies, so there they are the user's to add.
import type { TopLevelSpec } from "vega-lite";
import type { Header, Result } from "./types.ts";
import { runnerLabel } from "./suites.ts";

export interface Point {
  qd: number;
  iops: number;
  /** The runner's name, e.g. "Deno fs-async". */
  impl: string;
  /** The implementation (colour): "C", "batch", …, "fio". */
  kind: string;
  /** The runtime (dash and point shape): "Bun", "Deno", or "native" for C and fio. */
  runtime: string;
}

/** The results the chart plots: 4 KiB page-cache randread, plain buffers, no SQPOLL, default batch, that produced a median. */
export function chartPoints(results: readonly Result[]): Point[] {
  return results
    .filter((r) => {
      const c = r.case;
      return c.workload === "randread" && c.bs === 4096 && !c.direct && !c.fixed && !c.files && !c.sqpoll && r.iops !== null;
    })
    .map((r) => {
      const rt = r.runner.runtime;
      return {
        qd: r.case.qd,
        iops: Math.round(r.iops as number),
        impl: runnerLabel(r.runner),
        kind: rt === "c" ? "C" : r.runner.impl,
        runtime: rt === "bun" ? "Bun" : rt === "deno" ? "Deno" : "native",
      };
    });
}

/**
 * The Vega-Lite spec: a line per runner, coloured by implementation,
 * marked by runtime (Deno dashed) (12 runners are too many for one palette);
 * log-scaled axes (QD 1…128; IOPS span 20x between fs and io_uring).
 */
export function chartSpec(points: readonly Point[], header: Header): TopLevelSpec {
  const qds = [...new Set(points.map((p) => p.qd))].sort((a, b) => a - b);
  const kinds = [...new Set(points.map((p) => p.kind))];
  const runtimes = ["native", "Bun", "Deno"].filter((r) => points.some((p) => p.runtime === r));
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
    mark: { type: "line", point: { filled: true, size: 45 } },
    encoding: {
      detail: { field: "impl" },
      x: { field: "qd", type: "quantitative", title: "queue depth", scale: { type: "log", base: 2, domain: [qds[0] ?? 1, qds[qds.length - 1] ?? 128] }, axis: { values: qds, format: "d" } },
      y: { field: "iops", type: "quantitative", title: "IOPS", scale: { type: "log" }, axis: { format: "~s" } },
      color: { field: "kind", type: "nominal", title: "implementation", sort: kinds, scale: { scheme: "category10" } },
      strokeDash: { field: "runtime", type: "nominal", title: "runtime", sort: runtimes, scale: { domain: runtimes, range: runtimes.map((r) => (r === "Deno" ? [6, 3] : [1, 0])) } },
      shape: { field: "runtime", type: "nominal", title: "runtime", sort: runtimes, scale: { domain: runtimes, range: runtimes.map((r) => (r === "Deno" ? "square" : r === "Bun" ? "circle" : "diamond")) } },
      tooltip: [{ field: "impl" }, { field: "qd" }, { field: "iops", format: "," }],
    },
  };
}

const CHART_DEPENDENCIES_MISSING = "--chart needs vega and vega-lite: npm install vega vega-lite";

/** vega and vega-lite, or an error saying how to get them. */
export async function loadVega(): Promise<{ vega: typeof import("vega"); vegaLite: typeof import("vega-lite") }> {
  try {
    const [vega, vegaLite] = await Promise.all([import("vega"), import("vega-lite")]);
    return { vega, vegaLite };
  } catch (cause) {
    throw new Error(CHART_DEPENDENCIES_MISSING, { cause });
  }
}

/** The chart as an SVG document (throws when there is nothing to plot, or vega is not installed). */
export async function renderChart(results: readonly Result[], header: Header): Promise<string> {
  const points = chartPoints(results);
  if (points.length === 0) throw new Error("no 4 KiB page-cache randread result to chart (try --suite full, or --workload randread --qd 1,8,32,128)");
  const { vega, vegaLite } = await loadVega();
  const spec = vegaLite.compile(chartSpec(points, header)).spec;
  const view = new vega.View(vega.parse(spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
