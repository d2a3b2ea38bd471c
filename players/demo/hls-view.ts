// The same room as an audience beyond WebRTC sees it: the LL-HLS stream in <levelchat-player>.
import { $, log } from './dom.js';

export async function watchHls(url: string): Promise<void> {
  await import('../player/index.js'); // /sdk/levelchat-player.js: registers <levelchat-player>
  const el = document.createElement('levelchat-player');
  el.setAttribute('src', url);
  el.setAttribute('controls', '');
  el.setAttribute('muted', '');
  $('hls-slot').replaceChildren(el);
  $('hls-info').textContent = url;
  $('hls-view').hidden = false;
  log(`watching ${url} (the readout is glass-to-glass latency: now − playing date)`);
}

export function closeHls(): void {
  $('hls-slot').replaceChildren();
  $('hls-view').hidden = true;
}
