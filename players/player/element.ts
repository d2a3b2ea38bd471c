// <levelchat-player src="/hls/{room}/master.m3u8" [token=…] [muted] [controls]>: a video with the
// LL-HLS player and an on-screen readout of the glass-to-glass latency (now − playing date).
import { createPlayer, type Player } from './player.js';

const STYLE = `
:host { display: block; position: relative; background: #000; aspect-ratio: 16 / 9; }
video { width: 100%; height: 100%; object-fit: contain; display: block; }
.readout { position: absolute; right: .4rem; top: .3rem; font: 12px/1.4 ui-monospace, monospace; color: #fff;
  background: #0009; padding: 0 .35rem; border-radius: 3px; pointer-events: none; }
`;

export class LevelChatPlayerElement extends HTMLElement {
  static readonly observedAttributes = ['src', 'token'];
  readonly video: HTMLVideoElement;
  private readonly readout: HTMLElement;
  private current: Player | null = null;
  private ticker: ReturnType<typeof setInterval> | null = null;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = `<style>${STYLE}</style><video playsinline autoplay></video><div class="readout" part="readout">–</div>`;
    this.video = root.querySelector('video')!;
    this.readout = root.querySelector('.readout')!;
  }

  /** The running player (null until connected with a `src`). */
  get player(): Player | null {
    return this.current;
  }

  /** Glass-to-glass latency in seconds, as shown in the readout. */
  latency(): number | null {
    return this.current?.latency() ?? null;
  }

  connectedCallback(): void {
    this.video.muted = this.hasAttribute('muted');
    this.video.controls = this.hasAttribute('controls');
    this.load();
    this.ticker ??= setInterval(() => this.render(), 500);
  }

  disconnectedCallback(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    this.current?.destroy();
    this.current = null;
  }

  attributeChangedCallback(): void {
    if (this.isConnected) this.load();
  }

  private load(): void {
    this.current?.destroy();
    this.current = null;
    const src = this.getAttribute('src');
    if (!src) return;
    const token = this.getAttribute('token');
    this.current = createPlayer(this.video, { url: src, ...(token ? { token } : {}) });
    this.render();
  }

  private render(): void {
    const p = this.current;
    const latency = p?.latency();
    this.readout.textContent = !p ? '–' : p.state !== 'playing' || latency == null ? p.state : `latency ${latency.toFixed(2)} s`;
    this.dataset['latency'] = latency == null ? '' : latency.toFixed(3);
  }
}

/** Registers `<levelchat-player>` (once). */
export function definePlayerElement(name = 'levelchat-player'): void {
  if (!customElements.get(name)) customElements.define(name, LevelChatPlayerElement);
}
