// The video tiles (yours and everyone's), and reactions floating over them.
import { $ } from './dom.js';

export function tile(id: string, label: string, track: MediaStreamTrack, muted: boolean): void {
  let el = document.getElementById(`tile-${id}`);
  if (!el) {
    el = document.createElement('div');
    el.id = `tile-${id}`;
    el.className = 'tile';
    el.innerHTML = '<video autoplay playsinline></video><span></span>';
    $('tiles').append(el);
  }
  const video = el.querySelector('video')!;
  video.muted = muted;
  video.srcObject = new MediaStream([track]);
  el.querySelector('span')!.textContent = label;
  void video.play().catch(() => {});
}

export function removeTile(id: string): void {
  document.getElementById(`tile-${id}`)?.remove();
}

/** Marks the tiles of the producers the active speaker sends (none: nobody speaks). */
export function markSpeaking(producerIds: readonly string[]): void {
  for (const el of document.querySelectorAll('.tile')) el.classList.remove('speaking');
  for (const id of producerIds) document.getElementById(`tile-${id}`)?.classList.add('speaking');
}

/** The console's reactions as words: emoji need a colour emoji font, which many systems lack (empty boxes). */
const REACTION_WORDS: Record<string, string> = { '👍': 'Like', '🎉': 'Cheer', '❤️': 'Love' };

export function flash(emoji: string): void {
  const el = document.createElement('div');
  const word = REACTION_WORDS[emoji];
  el.className = word ? 'flash word' : 'flash';
  el.textContent = word ?? emoji;
  el.style.left = `${20 + Math.random() * 60}%`;
  el.style.top = '70%';
  document.body.append(el);
  setTimeout(() => el.remove(), 2000);
}
