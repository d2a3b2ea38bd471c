// The LevelChat LL-HLS player, served as /sdk/levelchat-player.js (hls.js bundled in):
//   import { createPlayer } from '/sdk/levelchat-player.js';
//   const player = createPlayer(video, { url: '/hls/r_x/master.m3u8' });
//   player.latency(); // seconds, glass to glass
// Importing it also registers <levelchat-player src="…">. @levelchat/web loads it on demand for the
// LL-HLS fallback. See players/player/README.md.
import { definePlayerElement } from './element.js';

export { createPlayer, type Player, type PlayerEventMap, type PlayerOptions, type PlayerState } from './player.js';
export { LevelChatPlayerElement, definePlayerElement } from './element.js';

if (typeof customElements !== 'undefined') definePlayerElement();
