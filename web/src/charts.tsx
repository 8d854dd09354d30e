// ECharts wrappers: a world map of hosts at risk per country, a trend line per classification, and
// a bar chart of builds. Every label that can come from a scanned host (builds) goes through
// encodeHTML in tooltips, so hostile values stay text.
import { BarChart, LineChart, MapChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import countries from 'i18n-iso-countries';
import en from 'i18n-iso-countries/langs/en.json';
import { useEffect, useRef } from 'preact/hooks';
import { feature } from 'topojson-client';
import world from 'world-atlas/countries-110m.json';
import { t } from './text';

echarts.use([MapChart, LineChart, BarChart, TooltipComponent, GridComponent, LegendComponent, VisualMapComponent, CanvasRenderer]);
countries.registerLocale(en);

const esc = (s: unknown) => echarts.format.encodeHTML(String(s ?? ''));

let mapReady = false;
function registerWorld(): void {
  if (mapReady) return;
  // biome-ignore lint/suspicious/noExplicitAny: topojson typings
  const geo = feature(world as any, (world as any).objects.countries) as unknown as { features: Array<{ id: string; properties: { name: string } }> };
  for (const f of geo.features) {
    // Name features by ISO alpha-2 so data joins on country codes.
    const a2 = countries.numericToAlpha2(String(f.id).padStart(3, '0'));
    f.properties.name = a2 ?? `x${f.id}`;
  }
  // biome-ignore lint/suspicious/noExplicitAny: echarts accepts GeoJSON
  echarts.registerMap('world', geo as any);
  mapReady = true;
}

function useChart(option: echarts.EChartsCoreOption, onClick?: (p: { name?: string; data?: unknown }) => void) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    const chart = echarts.init(ref.current, undefined, { renderer: 'canvas' });
    chart.setOption(option);
    if (onClick) chart.on('click', (p) => onClick(p as { name?: string; data?: unknown }));
    const ro = new ResizeObserver(() => chart.resize());
    ro.observe(ref.current);
    return () => {
      ro.disconnect();
      chart.dispose();
    };
  }, [JSON.stringify(option)]);
  return ref;
}

export interface CountryCount {
  cc: string | null;
  vulnerable: number;
  mitigated: number;
  compromised: number;
  total: number;
}

export function WorldMap(props: { data: CountryCount[]; onPick: (cc: string) => void }) {
  registerWorld();
  const data = props.data
    .filter((d) => d.cc)
    .map((d) => ({ name: d.cc as string, value: d.vulnerable + d.mitigated + d.compromised, detail: d }));
  const max = Math.max(1, ...data.map((d) => d.value));
  const ref = useChart(
    {
      tooltip: {
        trigger: 'item',
        formatter: (p: { name: string; data?: { detail: CountryCount } }) => {
          const n = countries.getName(p.name, 'en') ?? p.name;
          const d = p.data?.detail;
          return d
            ? `<b>${esc(n)}</b><br/>vulnerable ${d.vulnerable}<br/>mitigated ${d.mitigated}<br/>compromised ${d.compromised}<br/>all with a finding ${d.total}`
            : esc(n);
        },
      },
      visualMap: { min: 0, max, left: 10, bottom: 10, text: ['more at risk', 'fewer'], calculable: true, inRange: { color: ['#fde8c8', '#f39c12', '#c0392b'] } },
      series: [{ type: 'map', map: 'world', roam: true, emphasis: { label: { show: false } }, data }],
    },
    (p) => {
      if (p.name && /^[A-Z]{2}$/.test(p.name)) props.onPick(p.name);
    },
  );
  return <div ref={ref} class="chart map" data-testid="world-map" />;
}

export function TrendChart(props: { scans: Array<{ label: string | null; started_at: string; counts: Record<string, number> }> }) {
  const states = ['vulnerable', 'mitigated', 'patched', 'unknown'];
  const colors: Record<string, string> = { vulnerable: '#c0392b', mitigated: '#f39c12', patched: '#27ae60', unknown: '#95a5a6' };
  const ref = useChart({
    tooltip: { trigger: 'axis', formatter: undefined, valueFormatter: (v: number) => String(v) },
    legend: { data: states, top: 0 },
    grid: { left: 50, right: 20, top: 40, bottom: 30 },
    xAxis: { type: 'category', data: props.scans.map((s) => s.label ?? s.started_at.slice(0, 10)), axisLabel: { formatter: (v: string) => t(v).slice(0, 24) } },
    yAxis: { type: 'value', minInterval: 1 },
    series: states.map((st) => ({
      name: st,
      type: 'line',
      smooth: false,
      symbolSize: 8,
      itemStyle: { color: colors[st] },
      data: props.scans.map((s) => s.counts[st] ?? 0),
    })),
  });
  return <div ref={ref} class="chart" data-testid="trend" />;
}

export function BuildsChart(props: { versions: Array<{ version: string | null; hosts: number }> }) {
  const top = props.versions.slice(0, 15).reverse();
  const ref = useChart({
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (ps: Array<{ name: string; value: number }>) => ps.map((p) => `${esc(p.name)}: ${p.value}`).join('<br/>'),
    },
    grid: { left: 120, right: 20, top: 10, bottom: 30 },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', data: top.map((v) => t(v.version ?? 'unknown').slice(0, 30)) },
    series: [{ type: 'bar', data: top.map((v) => v.hosts), itemStyle: { color: '#2c6fbb' } }],
  });
  return <div ref={ref} class="chart" data-testid="builds" />;
}

export function countryName(cc: string | null): string {
  if (!cc) return 'unknown';
  return countries.getName(cc, 'en') ?? cc;
}
