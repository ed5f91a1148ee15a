/**
 * Draws ChartData (chart-data.ts) as one self-contained SVG, or one HTML file with that SVG
 * inline and a table of counts under it. Pure: returns strings. Nothing is loaded from
 * anywhere (no script, font, image or stylesheet link; inline CSS only, system fonts), so the
 * file reads the same with no network. Both outputs are well-formed XML (the HTML too, so a
 * test can parse it strictly); every piece of text is escaped.
 *
 * Colours: the Okabe–Ito palette, distinguishable with the common colour-vision deficiencies
 * (https://jfly.uni-koeln.de/color/), in order of each version's first answer; vermillion is
 * kept for failures and grey for requests with no version.
 */
import { NO_VERSION } from "./traffic";
import type { ChartData, ChartSeries } from "./chart-data";

const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#F0E442", "#000000"] as const;
const FAILURE = "#D55E00";
const NONE = "#999999";
/** The (none) area is lighter than the versions'; its legend swatch and table swatch match it. */
const NONE_OPACITY = ' fill-opacity="0.6"';
const SVG_NS = "http://www.w3.org/2000/svg";

const W = 1040;
const PLOT = { left: 64, right: 736, top: 76, bottom: 336 } as const;
const STRIP = { top: 352, bottom: 384 } as const;
const LEGEND_X = 756;

/** XML text and attribute escaping; characters XML 1.0 cannot carry at all become "?". */
export function esc(text: string): string {
  return text
    // XML 1.0 forbids these control characters even escaped (https://www.w3.org/TR/xml/#charsets).
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "?")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const num = (n: number) => String(Math.round(n * 10) / 10);
const clip = (s: string, max = 32) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
const pct = (n: number, total: number) => (total === 0 ? "0%" : `${Math.round((n / total) * 1000) / 10}%`);
export const versionLabel = (v: string) => (v === NO_VERSION ? "no answer or no header" : `version ${clip(v)}`);

/** Colour per version by first answer, not by stacking order, so version 1 keeps its colour whatever comes next. */
export function colours(data: ChartData): Map<string, string> {
  const byFirst = [...data.series].sort((a, b) => a.firstMs - b.firstMs);
  const map = new Map<string, string>();
  let i = 0;
  for (const s of byFirst) map.set(s.version, s.version === NO_VERSION ? NONE : PALETTE[i++ % PALETTE.length]);
  return map;
}

/** `m:ss` (or `h:mm:ss`) since the chart's start. */
function elapsed(ms: number): string {
  const s = Math.round(ms / 1000);
  const [h, m, r] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${String(r).padStart(2, "0")}` : `${m}:${String(r).padStart(2, "0")}`;
}

const TICK_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];

function timeTicks(spanMs: number): number {
  return (TICK_STEPS_S.find((s) => spanMs / (s * 1000) <= 10) ?? Math.ceil(spanMs / 10 / 86_400_000) * 86400) * 1000;
}

function utc(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d{3}Z$/, " UTC");
}

export function renderSvg(data: ChartData): string {
  const span = data.endMs - data.startMs;
  const x = (t: number) => PLOT.left + ((t - data.startMs) / span) * (PLOT.right - PLOT.left);
  const y = (share: number) => PLOT.bottom - share * (PLOT.bottom - PLOT.top);
  const colour = colours(data);
  const out: string[] = [];
  const failed = data.requests - data.ok;
  const height = 450;
  out.push(`<svg xmlns="${SVG_NS}" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-labelledby="chart-title" data-requests="${data.requests}" data-ok="${data.ok}" data-failures="${data.failures.total}" data-bucket-ms="${data.bucketMs}" data-start="${new Date(data.startMs).toISOString()}">`);
  out.push(`<style>text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;fill:#222}.small{font-size:12px}.tiny{font-size:11px;fill:#555}.title{font-size:18px;font-weight:600}</style>`);
  out.push(`<rect width="${W}" height="${height}" fill="#ffffff"/>`);
  // The title is clipped to what fits the width; the whole of it is in the file's <title> (HTML) and the tooltip.
  out.push(`<text id="chart-title" class="title" x="${PLOT.left}" y="26">${esc(clip(data.title, 96))}<title>${esc(data.title)}</title></text>`);
  const routes = data.routes.length > 0 ? ` · ${data.routes.map((r) => clip(r, 40)).join(", ")}` : "";
  out.push(`<text class="small" x="${PLOT.left}" y="46"><tspan font-weight="600">${esc(`${data.requests} request${data.requests === 1 ? "" : "s"}: ${data.ok} ok, ${failed} failed`)}</tspan>${esc(` · share per version in ${data.bucketMs / 1000} s buckets${routes}`)}</text>`);

  // Y axis: grid lines every 25%.
  for (const share of [0, 0.25, 0.5, 0.75, 1]) {
    out.push(`<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${num(y(share))}" y2="${num(y(share))}" stroke="#dddddd"/>`);
    out.push(`<text class="small" x="${PLOT.left - 6}" y="${num(y(share) + 4)}" text-anchor="end">${share * 100}%</text>`);
  }
  out.push(`<text class="small" transform="translate(16 ${num((PLOT.top + PLOT.bottom) / 2)}) rotate(-90)" text-anchor="middle">share of requests</text>`);

  // Stacked step areas, one path per series, broken where a bucket has no request.
  const below = new Array<number>(data.totals.length).fill(0);
  for (const s of data.series) {
    out.push(`<path class="series" ${dataAttrs(s)} d="${areaPath(s, below, data, x, y)}" fill="${colour.get(s.version)}" stroke="none"${s.version === NO_VERSION ? NONE_OPACITY : ""}><title>${esc(`${versionLabel(s.version)}: ${s.count} requests (${pct(s.count, data.requests)}), ${s.count - s.ok} failed`)}</title></path>`);
    s.share.forEach((v, b) => (below[b] += v ?? 0));
  }

  if (data.weights !== undefined && data.weights.segments.length > 0) {
    let d = "";
    for (const seg of data.weights.segments) d += `${d === "" ? "M" : "L"}${num(x(seg.fromMs))} ${num(y(seg.percent / 100))}H${num(x(seg.toMs))}`;
    // A white halo under the dashed line keeps it visible over any of the fills.
    out.push(`<path d="${d}" fill="none" stroke="#ffffff" stroke-width="5" stroke-linejoin="round"/>`);
    out.push(`<path d="${d}" fill="none" stroke="#000000" stroke-width="2.5" stroke-dasharray="7 4"><title>${esc(`alias weight on version ${data.weights.target} (release ${data.weights.outcome})`)}</title></path>`);
  }
  out.push(`<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}" fill="none" stroke="#888888"/>`);

  // Failure strip: a tick at each failure's time, and each bucket's count as a bar under it.
  out.push(`<text class="small" x="${PLOT.left - 6}" y="${(STRIP.top + STRIP.bottom) / 2 + 4}" text-anchor="end">failures</text>`);
  out.push(`<rect x="${PLOT.left}" y="${STRIP.top}" width="${PLOT.right - PLOT.left}" height="${STRIP.bottom - STRIP.top}" fill="#fafafa" stroke="#cccccc"/>`);
  if (data.failures.total === 0) {
    const none = data.requests === 0 ? "no requests: the probe sent none in this time" : "no failures: every request was answered 200";
    out.push(`<text class="small" x="${(PLOT.left + PLOT.right) / 2}" y="${(STRIP.top + STRIP.bottom) / 2 + 4}" text-anchor="middle">${none}</text>`);
  } else {
    const max = Math.max(...data.failures.perBucket);
    const mid = (STRIP.top + STRIP.bottom) / 2;
    data.failures.perBucket.forEach((c, b) => {
      if (c === 0) return;
      const h = Math.max(1.5, (c / max) * (STRIP.bottom - mid - 1));
      out.push(`<rect x="${num(x(data.startMs + b * data.bucketMs))}" y="${num(STRIP.bottom - h)}" width="${num(Math.max(1, x(data.startMs + data.bucketMs) - PLOT.left))}" height="${num(h)}" fill="${FAILURE}"><title>${esc(`${elapsed(b * data.bucketMs)}: ${c} failed`)}</title></rect>`);
    });
    for (const f of data.failures.marks) {
      out.push(`<line class="failure" data-at="${new Date(f.atMs).toISOString()}" x1="${num(x(f.atMs))}" x2="${num(x(f.atMs))}" y1="${STRIP.top + 2}" y2="${mid - 1}" stroke="${FAILURE}" stroke-width="1.5"><title>${esc(`${utc(f.atMs)} client ${f.client} ${f.route}: ${f.status === null ? "no answer" : `status ${f.status}`}`)}</title></line>`);
    }
    out.push(`<text class="tiny" x="${PLOT.right + 4}" y="${STRIP.bottom}">${esc(`max ${max}/bucket`)}</text>`);
  }

  // X axis: elapsed time from the first bucket, with the clock time of the start in the subtitle.
  const step = timeTicks(span);
  for (let t = 0; t <= span; t += step) {
    const tx = num(x(data.startMs + t));
    out.push(`<line x1="${tx}" x2="${tx}" y1="${STRIP.bottom}" y2="${STRIP.bottom + 5}" stroke="#555555"/>`);
    out.push(`<line x1="${tx}" x2="${tx}" y1="${PLOT.top}" y2="${PLOT.bottom}" stroke="#000000" stroke-opacity="0.08"/>`);
    out.push(`<text class="small" x="${tx}" y="${STRIP.bottom + 19}" text-anchor="middle">${elapsed(t)}</text>`);
  }
  // elapsed() writes h:mm:ss from an hour on; the label names the format the ticks use.
  out.push(`<text class="small" x="${(PLOT.left + PLOT.right) / 2}" y="${STRIP.bottom + 40}" text-anchor="middle">${esc(`time since ${utc(data.startMs)} (${span >= 3_600_000 ? "h:mm:ss" : "m:ss"})`)}</text>`);

  out.push(...legend(data, colour));
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

/**
 * The chart's figures ride on its elements as data-* attributes, so a test (or a person with a
 * text editor) reads the numbers from the file itself rather than from pixels.
 */
function dataAttrs(s: ChartSeries): string {
  return `data-version="${esc(s.version)}" data-count="${s.count}" data-ok="${s.ok}" data-first="${new Date(s.firstMs).toISOString()}" data-last="${new Date(s.lastMs).toISOString()}" data-per-bucket="${s.perBucket.join(",")}"`;
}

function areaPath(s: ChartSeries, below: readonly number[], data: ChartData, x: (t: number) => number, y: (v: number) => number): string {
  let d = "";
  let run: number[] = [];
  const flush = () => {
    if (run.length === 0) return;
    const edge = (b: number, v: number) => `${num(x(data.startMs + b * data.bucketMs))} ${num(y(v))}L${num(x(data.startMs + (b + 1) * data.bucketMs))} ${num(y(v))}`;
    const top = run.map((b) => edge(b, below[b] + (s.share[b] ?? 0)));
    const bottom = [...run].reverse().map((b) => `${num(x(data.startMs + (b + 1) * data.bucketMs))} ${num(y(below[b]))}L${num(x(data.startMs + b * data.bucketMs))} ${num(y(below[b]))}`);
    d += `M${top.join("L")}L${bottom.join("L")}Z`;
    run = [];
  };
  s.share.forEach((v, b) => (v === null ? flush() : run.push(b)));
  flush();
  return d === "" ? "M0 0" : d;
}

function legend(data: ChartData, colour: Map<string, string>): string[] {
  const out: string[] = [`<text class="small" x="${LEGEND_X}" y="${PLOT.top + 4}" font-weight="600">requests answered by</text>`];
  let ly = PLOT.top + 24;
  for (const s of [...data.series].sort((a, b) => a.firstMs - b.firstMs)) {
    out.push(`<rect x="${LEGEND_X}" y="${ly - 11}" width="14" height="14" fill="${colour.get(s.version)}"${s.version === NO_VERSION ? NONE_OPACITY : ""}/>`);
    out.push(`<text class="small" x="${LEGEND_X + 20}" y="${ly}">${esc(`${versionLabel(s.version)}: ${s.count} (${pct(s.count, data.requests)})`)}</text>`);
    ly += 22;
  }
  if (data.weights !== undefined) {
    ly += 6;
    out.push(`<line x1="${LEGEND_X}" x2="${LEGEND_X + 26}" y1="${ly - 4}" y2="${ly - 4}" stroke="#000000" stroke-width="2.5" stroke-dasharray="7 4"/>`);
    out.push(`<text class="small" x="${LEGEND_X + 32}" y="${ly}">${esc(`alias weight on version ${clip(data.weights.target, 16)}`)}</text>`);
    out.push(`<text class="tiny" x="${LEGEND_X + 32}" y="${ly + 15}">${esc(`from the release report (${data.weights.outcome})`)}</text>`);
    ly += 36;
  }
  ly += 6;
  out.push(`<line x1="${LEGEND_X + 7}" x2="${LEGEND_X + 7}" y1="${ly - 12}" y2="${ly + 2}" stroke="${FAILURE}" stroke-width="2"/>`);
  out.push(`<text class="small" x="${LEGEND_X + 20}" y="${ly}">${esc(`failures: ${data.failures.total}`)}</text>`);
  out.push(`<text class="tiny" x="${LEGEND_X + 20}" y="${ly + 15}">status ≠ 200 or no answer</text>`);
  if (data.failures.marks.length < data.failures.total) out.push(`<text class="tiny" x="${LEGEND_X + 20}" y="${ly + 30}">${esc(`ticks for the first ${data.failures.marks.length}; bars count all`)}</text>`);
  return out;
}

/** The SVG inside one HTML page, with the counts per version as a table under it. */
export function renderHtml(data: ChartData): string {
  const colour = colours(data);
  const rows = [...data.series]
    .sort((a, b) => a.firstMs - b.firstMs)
    .map((s) => `<tr><td><span class="sw" style="background:${colour.get(s.version)}${s.version === NO_VERSION ? ";opacity:0.6" : ""}"></span>${esc(versionLabel(s.version))}</td><td>${s.count}</td><td>${pct(s.count, data.requests)}</td><td>${s.ok}</td><td>${s.count - s.ok}</td><td>${esc(utc(s.firstMs))}</td><td>${esc(utc(s.lastMs))}</td></tr>`);
  const total = `<tr class="total"><td>all</td><td>${data.requests}</td><td>100%</td><td>${data.ok}</td><td>${data.requests - data.ok}</td><td></td><td></td></tr>`;
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    `<head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/><title>${esc(data.title)}</title>`,
    "<style>body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,\"DejaVu Sans\",sans-serif;margin:16px;color:#222;background:#fff}svg{max-width:100%;height:auto}table{border-collapse:collapse;margin-top:8px;font-size:14px}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}th:first-child,td:first-child{text-align:left}tr.total td{font-weight:600}.sw{display:inline-block;width:11px;height:11px;margin-right:6px;vertical-align:-1px}p{font-size:13px;color:#555;max-width:60em}</style></head>",
    "<body>",
    renderSvg(data).trimEnd(),
    "<table><thead><tr><th>answered by</th><th>requests</th><th>share</th><th>ok (200)</th><th>failed</th><th>first sent</th><th>last sent</th></tr></thead>",
    `<tbody>${rows.join("")}${total}</tbody></table>`,
    `<p>${esc(`Each request is counted in the bucket of the time it was sent; "failed" means a status other than 200 or no answer, as seed 000's poster.py counts. ${data.weights !== undefined ? "The dashed line is the alias's weight on the target as the release's health checks recorded it (a change is drawn from the check before the one that saw it)." : ""}`)}</p>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

/** `.svg` → the SVG alone; `.html`/`.htm` → the page. */
export function renderChartFile(file: string, data: ChartData): string {
  if (/\.svg$/i.test(file)) return `<?xml version="1.0" encoding="UTF-8"?>\n${renderSvg(data)}`;
  return renderHtml(data);
}
