// Scrapes metrics on a period while a bench side runs, as Prometheus does (docker-compose scrapes
// every 5 s): what the metrics cost the hot paths is measured with this on versus off.
import { performance } from 'node:perf_hooks';

export interface ScrapeStats {
  scrapes: number;
  /** Time each scrape took (request to last byte), ms. */
  meanMs: number;
  maxMs: number;
  /** Size of the last exposition, bytes. */
  bytes: number;
}

/** Calls `scrape` (which returns the exposition text) every `everyS` seconds, the first one at once, until stopped. */
export function scrapeEvery(everyS: number, scrape: () => Promise<string>): { stop(): Promise<ScrapeStats> } {
  const times: number[] = [];
  let bytes = 0;
  let inFlight: Promise<void> = Promise.resolve();
  const once = () => {
    inFlight = (async () => {
      const t0 = performance.now();
      const text = await scrape();
      times.push(performance.now() - t0);
      bytes = Buffer.byteLength(text);
    })();
  };
  once();
  const timer = setInterval(once, everyS * 1000);
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
      const total = times.reduce((a, b) => a + b, 0);
      return { scrapes: times.length, meanMs: times.length ? total / times.length : 0, maxMs: Math.max(0, ...times), bytes };
    },
  };
}

/** What a /metrics endpoint answers (Prometheus' GET), failing the bench on anything but 200. */
export async function fetchMetrics(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}/metrics answered ${res.status}: ${text.slice(0, 200)}`);
  return text;
}

export function scrapeLine(everyS: number, stats: ScrapeStats): string {
  return `${stats.scrapes} scrapes every ${everyS} s, ${stats.meanMs.toFixed(1)} ms mean (max ${stats.maxMs.toFixed(1)} ms), ${(stats.bytes / 1024).toFixed(1)} KiB each`;
}

/** A bench row, measured plain or (its `transport` ending in SCRAPED) while metrics were scraped. */
export interface CostRow {
  side: string;
  n: number;
  transport: string;
  ppsPerCore: number;
}

/** Marks a row measured while scraping. */
export const SCRAPED = ' +metrics';

/** Each scraped row against the same row unscraped: forwarded packets/s per core of worker CPU, and their ratio. */
export function printScrapeCost(rows: readonly CostRow[], everyS: number, log: (line: string) => void): void {
  log(`\n=== Metrics cost: pkt/s per core with LevelChat's SFU metrics rendered every ${everyS} s / without (target ≥ 0.95×) ===`);
  for (const scraped of rows.filter((r) => r.transport.endsWith(SCRAPED))) {
    const transport = scraped.transport.slice(0, -SCRAPED.length);
    const plain = rows.find((r) => r.side === scraped.side && r.n === scraped.n && r.transport === transport);
    if (!plain || plain.ppsPerCore === 0) continue;
    const ratio = scraped.ppsPerCore / plain.ppsPerCore;
    log(
      `  ${scraped.side} n=${scraped.n} ${transport}: ${Math.round(plain.ppsPerCore)} → ${Math.round(scraped.ppsPerCore)} pkt/s per core = ${ratio.toFixed(3)}× ` +
        `(${ratio >= 0.95 ? 'PASS' : 'MISS'}: cost ${((1 - ratio) * 100).toFixed(1)}%)`,
    );
  }
}
