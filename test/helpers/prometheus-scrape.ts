import parsePrometheusTextFormat from 'parse-prometheus-text-format';

/**
 * A /metrics answer read with an independent parser (parse-prometheus-text-format, prom2json's
 * shapes), not prom-client's own code, so a malformed exposition fails the tests. That parser
 * folds every series of a labelled histogram into one (its grouping ignores the labels), so
 * histogram samples are read from a second parse of the same text without the histograms' TYPE
 * lines: each run of `_bucket`, `_sum` or `_count` lines is then an untyped family of its own
 * (several of one name), parsed all the same.
 */
export class Scrape {
  readonly families: ReturnType<typeof parsePrometheusTextFormat>;
  readonly #untypedHistograms: ReturnType<typeof parsePrometheusTextFormat>;

  constructor(readonly text: string) {
    this.families = parsePrometheusTextFormat(text);
    this.#untypedHistograms = parsePrometheusTextFormat(
      text
        .split('\n')
        .filter((line) => !/^# TYPE \S+ histogram$/.test(line))
        .join('\n'),
    );
  }

  static async of(url: string, token?: string): Promise<Scrape> {
    const res = await fetch(`${url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${await res.text()}`);
    if (!res.headers.get('content-type')?.startsWith('text/plain; version=0.0.4')) throw new Error(`GET /metrics content type ${res.headers.get('content-type')}`);
    return new Scrape(await res.text());
  }

  family(name: string) {
    const family = this.families.find((f) => f.name === name);
    if (!family) throw new Error(`no metric ${name} in the scrape`);
    return family;
  }

  /** The sum of a counter's or gauge's samples whose labels include `labels` (0 when none). */
  value(name: string, labels: Record<string, string> = {}): number {
    this.family(name);
    return this.#matching(name, labels).reduce((n, s) => n + Number(s.value), 0);
  }

  /** A histogram's count and sum over its series whose labels include `labels`. */
  histogram(name: string, labels: Record<string, string> = {}): { count: number; sum: number } {
    if (this.family(name).type !== 'HISTOGRAM') throw new Error(`${name} is not a histogram`);
    const total = (suffix: string) => this.#matching(`${name}${suffix}`, labels, this.#untypedHistograms).reduce((n, s) => n + Number(s.value), 0);
    return { count: total('_count'), sum: total('_sum') };
  }

  /** Every label set of a metric's samples (a histogram's: of its series, `le` aside). */
  labelSets(name: string): Record<string, string>[] {
    if (this.family(name).type === 'HISTOGRAM') return this.#matching(`${name}_count`, {}, this.#untypedHistograms).map((s) => s.labels ?? {});
    return this.family(name).metrics.map((s) => s.labels ?? {});
  }

  /** Samples of every family of that name (untyped, a histogram's series come as one family per series). */
  #matching(name: string, labels: Record<string, string>, families = this.families) {
    return families.filter((f) => f.name === name).flatMap((f) => f.metrics.filter((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v)));
  }
}
