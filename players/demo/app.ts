// The demo console at `/`: create a room, mint a token, join, publish, watch, chat, end. Plain DOM,
// no framework; the SDK comes from /sdk/levelchat-web.js like in any integrator's page.
import { LevelChat, type LiveSession, type LocalTrackHandle, type Question, type SubscribedTrack } from '../web/index.js';
import { $, input, log, onClick, status } from './dom.js';
import { closeHls, watchHls } from './hls-view.js';
import { createRoom, joinLink, mintToken } from './rest.js';
import { addChat, nameOf, removeChat, renderHandQueue, renderPeople, renderQuestions } from './room-panels.js';
import { refreshStats } from './stats.js';
import { flash, markSpeaking, removeTile, tile } from './tiles.js';
import { noteOwnLatency, startBroadcastPanel, stopBroadcastPanel } from './broadcast-panel.js';

const KEY_STORAGE = 'levelchat.apiKey';

const lc = new LevelChat();
let live: LiveSession | null = null;
const local = new Map<string, LocalTrackHandle>(); // by source
const remote = new Map<string, SubscribedTrack>(); // by producer id
/** Questions answered or dismissed while here (live.questions keeps only open ones), newest first. */
let closedQuestions: Question[] = [];

async function join(): Promise<void> {
  const token = $<HTMLTextAreaElement>('token').value.trim();
  const signalingUrl = input('signaling-url').value.trim() || `${location.origin.replace(/^http/, 'ws')}/v1/rtc`;
  status('joining…');
  live = await lc.joinLive({ token, signalingUrl, roomType: input('room-type').value, telemetry: { onReport: (r) => noteOwnLatency(r.latencyS) } });
  const session = live;
  if (session.mode === 'hls') {
    // Beyond the broadcast's WebRTC cap: the SDK answered with an LL-HLS session.
    log('the WebRTC seats are full: watching over LL-HLS');
    status(`watching ${session.roomId} over LL-HLS as ${session.localParticipant.identity}`);
    await watchHls(session.hlsUrl!);
    $('setup').hidden = true;
    return;
  }
  status(`in room ${session.roomId} (${session.roomType}) as ${session.localParticipant.identity}`);
  $('setup').hidden = true;
  $('live').hidden = false;
  const moderator = session.localParticipant.capabilities.includes('moderate:participants');
  $('end').hidden = !moderator;
  $('breakouts-open').hidden = !moderator;
  $('breakouts-close').hidden = !moderator;
  $('promote').hidden = !(moderator && session.roomType === 'hybrid');
  $('hands-panel').hidden = !moderator;
  $('watch-hls').hidden = !session.hlsUrl;
  for (const m of session.chatHistory) addChat(session, m);
  renderPeople(session);
  renderQuestions(session, closedQuestions);
  renderHandQueue(session);
  startBroadcastPanel(session);
  follow(session);
}

/** Keeps the page in step with the session's events. */
function follow(session: LiveSession): void {
  const name = (participantId: string) => nameOf(session, participantId);
  session.room.on('participant-joined', (p) => {
    log(`${p.identity} joined`);
    renderPeople(session);
  });
  session.room.on('participant-left', (p) => {
    log(`${p.identity} left`);
    renderPeople(session);
  });
  session.room.on('track-subscribed', (t) => {
    remote.set(t.producerId, t);
    if (t.kind === 'video') tile(t.producerId, `${name(t.participantId)} · ${t.source}`, t.track, true);
    else {
      const audio = document.createElement('audio');
      audio.id = `audio-${t.producerId}`;
      audio.autoplay = true;
      audio.srcObject = new MediaStream([t.track]);
      document.body.append(audio);
    }
  });
  session.room.on('track-unsubscribed', (t) => {
    remote.delete(t.producerId);
    removeTile(t.producerId);
    document.getElementById(`audio-${t.producerId}`)?.remove();
  });
  session.room.on('active-speaker', (id) => markSpeaking(id ? [...remote].filter(([, t]) => t.participantId === id).map(([producerId]) => producerId) : []));
  session.room.on('connection-quality', (id, q) => {
    if (id === session.localParticipant.id) status(`in ${session.roomId} · rtt ${q.rtt ?? '–'} ms · loss ${q.fractionLost ?? '–'}`);
  });
  session.room.on('chat', (m) => addChat(session, m));
  session.room.on('chat-deleted', ({ messageId }) => removeChat(messageId));
  session.room.on('question', (q) => {
    if (q.state !== 'open') closedQuestions = [q, ...closedQuestions.filter((c) => c.id !== q.id)].slice(0, 20);
    renderQuestions(session, closedQuestions);
  });
  session.room.on('hand-queue', () => renderHandQueue(session));
  session.room.on('reaction', (r) => flash(r.emoji));
  session.room.on('hand', ({ participantId, raised }) => {
    if (participantId === session.localParticipant.id) $('hand').textContent = raised ? 'Lower hand' : 'Raise hand';
    renderPeople(session);
  });
  session.room.on('error', (e) => log(`error ${e.code}: ${e.message}`));
  session.room.on('reconnecting', () => status('reconnecting…'));
  session.room.on('reconnected', () => status(`in room ${session.roomId}`));
  session.room.on('promoted', ({ hlsUrl }) => {
    log(`the room was promoted to a broadcast${hlsUrl ? `: LL-HLS at ${hlsUrl}` : ''}`);
    $('watch-hls').hidden = !hlsUrl;
    $('promote').hidden = true;
    // Now there is an LL-HLS URL to share and an audience to chart.
    startBroadcastPanel(session);
    renderPeople(session);
  });
  session.room.on('viewer-count', (n) => log(`${n} viewer${n === 1 ? '' : 's'}`));
  session.room.on('stage', ({ participantId, onStage }) => {
    log(`${name(participantId)} ${onStage ? 'is on stage' : 'left the stage'}`);
    renderPeople(session);
  });
  session.room.on('breakouts', ({ open, rooms }) => log(open ? `breakouts: ${rooms.map((r) => `#${r.number} ${r.identities.join(', ')}`).join(' · ')}` : 'breakouts closed'));
  session.room.on('breakout-joined', ({ number, session: breakout }) => {
    log(`moved to breakout #${number}: main room paused`);
    breakout.room.on('track-subscribed', (t) => {
      if (t.kind === 'video') tile(`b-${t.producerId}`, `#${number} ${breakout.participants.get(t.participantId)?.identity ?? t.participantId} · ${t.source}`, t.track, true);
    });
    breakout.room.on('track-unsubscribed', (t) => removeTile(`b-${t.producerId}`));
  });
  session.room.on('breakout-left', ({ number, reason }) => {
    log(`back from breakout #${number} (${reason})`);
    for (const el of document.querySelectorAll('[id^="tile-b-"]')) el.remove();
    // Camera and microphone were published again here: refresh the local handles.
    local.clear();
    for (const h of session.localTracks) local.set(h.source, h);
  });
  session.room.on('disconnected', ({ reason }) => {
    status(`disconnected: ${reason}`);
    log(`disconnected (${reason})`);
    reset();
  });
}

function reset(): void {
  live = null;
  stopBroadcastPanel();
  local.clear();
  remote.clear();
  $('tiles').innerHTML = '';
  $('chat').innerHTML = '';
  $('questions').innerHTML = '';
  $('answered').innerHTML = '';
  $('hand-queue').innerHTML = '';
  closedQuestions = [];
  $('live').hidden = true;
  $('setup').hidden = false;
  for (const id of ['camera', 'mic', 'screen']) $(id).classList.remove('on');
}

async function toggle(source: 'camera' | 'microphone' | 'screen', button: string): Promise<void> {
  if (!live) return;
  const current = local.get(source);
  if (current) {
    await current.stop();
    local.delete(source);
    removeTile(`local-${source}`);
    $(button).classList.remove('on');
    return;
  }
  const handle =
    source === 'camera' ? await live.publishCamera() : source === 'microphone' ? await live.publishMicrophone() : await live.publishScreen();
  local.set(source, handle);
  $(button).classList.add('on');
  if (handle.kind === 'video') tile(`local-${source}`, `you · ${source}`, handle.track, true);
}

// ---- Wiring ------------------------------------------------------------------------------------

input('api-key').value = sessionStorage.getItem(KEY_STORAGE) ?? '';
input('api-key').addEventListener('change', () => sessionStorage.setItem(KEY_STORAGE, input('api-key').value.trim()));
input('signaling-url').value = `${location.origin.replace(/^http/, 'ws')}/v1/rtc`;

// join_url links carry the room and token in the fragment (never sent to a server); the query is still read for room-only links.
const params = new URLSearchParams(location.hash.slice(1) || location.search);
if (params.get('room')) input('room-id').value = params.get('room')!;
if (params.get('token')) $<HTMLTextAreaElement>('token').value = params.get('token')!;
// Out of the address bar and the history once read.
if (location.hash) history.replaceState(null, '', location.pathname + location.search);

onClick('create-room', createRoom);
onClick('mint', mintToken);
onClick('copy-link', async () => {
  const link = joinLink();
  await navigator.clipboard.writeText(link).catch(() => {});
  log(`join link: ${link}`);
});
onClick('join', join);
onClick('watch-room-hls', async () => {
  const roomId = input('room-id').value.trim();
  if (!roomId) throw new Error('enter a room id first');
  await watchHls(`/hls/${encodeURIComponent(roomId)}/master.m3u8`);
});
onClick('watch-hls', async () => {
  if (live?.hlsUrl) await watchHls(live.hlsUrl);
});
onClick('hls-close', async () => closeHls());
onClick('copy-hls', async () => {
  const url = input('hls-share').value;
  await navigator.clipboard.writeText(url).catch(() => {});
  log(`LL-HLS URL: ${url}`);
});
onClick('breakouts-open', async () => {
  await live?.openBreakouts(2);
});
onClick('breakouts-close', async () => {
  await live?.closeBreakouts();
});
onClick('promote', async () => {
  await live?.promote();
});
onClick('camera', () => toggle('camera', 'camera'));
onClick('mic', () => toggle('microphone', 'mic'));
onClick('screen', () => toggle('screen', 'screen'));
onClick('hand', async () => {
  if (!live) return;
  if (live.localParticipant.handRaised) await live.lowerHand();
  else await live.raiseHand();
  $('hand').textContent = live.localParticipant.handRaised ? 'Lower hand' : 'Raise hand';
  renderPeople(live);
});
for (const b of document.querySelectorAll<HTMLButtonElement>('.reactions button')) {
  b.addEventListener('click', () => void live?.sendReaction(b.dataset['emoji']!).catch(() => {}));
}
onClick('end', async () => {
  if (live && confirm('End the room for everyone?')) await lc.rooms.end(live.roomId);
});
onClick('leave', async () => {
  await live?.leave();
  status('left');
  reset();
});
/** On submitting `formId` in a room: `send` what `inputId` holds (trimmed, unless empty), then clear it. */
function onSubmitText(formId: string, inputId: string, send: (session: LiveSession, text: string) => Promise<unknown>): void {
  $(formId).addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input(inputId).value.trim();
    if (!text || !live) return;
    input(inputId).value = '';
    send(live, text).catch(() => {});
  });
}
onSubmitText('chat-form', 'chat-text', (session, text) => session.sendChat(text));
onSubmitText('qa-form', 'qa-text', (session, text) => session.askQuestion(text));
setInterval(() => {
  const session = live;
  if (session) void refreshStats(local, remote, (id) => nameOf(session, id));
}, 1000);
