// The demo console at `/`: create a room, mint a token, join, publish, watch, chat, end. Plain DOM,
// no framework; the SDK comes from /sdk/levelchat-web.js like in any integrator's page.
import { LevelChat, type ChatMessage, type LiveSession, type LocalTrackHandle, type Question, type SubscribedTrack } from '../web/index.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const input = (id: string) => $<HTMLInputElement>(id);
const KEY_STORAGE = 'levelchat.apiKey';

const lc = new LevelChat();
let live: LiveSession | null = null;
const local = new Map<string, LocalTrackHandle>(); // by source
const remote = new Map<string, SubscribedTrack>(); // by producer id
const statsPrev = new Map<string, { bytes: number; at: number }>();
/** Questions answered or dismissed while here (live.questions keeps only open ones), newest first. */
let closedQuestions: Question[] = [];
/** Room types with a stage and an audience (or one after promotion). */
const STAGED = new Set(['broadcast', 'live', 'webinar', 'hybrid']);

function log(line: string): void {
  const el = $('log');
  el.textContent = `${new Date().toLocaleTimeString()} ${line}\n${el.textContent ?? ''}`.slice(0, 8000);
}

function status(text: string): void {
  $('status').textContent = text;
}

// ---- REST (with the API key; a real app does this on its backend) --------------------------------

async function api(path: string, body: unknown): Promise<Record<string, unknown>> {
  const key = input('api-key').value.trim();
  if (!key) throw new Error('paste an API key first');
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${res.status} ${String(json['code'] ?? '')} ${String(json['detail'] ?? json['title'] ?? '')}`);
  return json;
}

async function createRoom(): Promise<void> {
  const room = await api('/v1/rooms', { type: input('room-type').value });
  input('room-id').value = String(room['id']);
  log(`created ${String(room['type'])} room ${String(room['id'])}`);
}

async function mintToken(): Promise<void> {
  let roomId = input('room-id').value.trim();
  if (!roomId) {
    await createRoom();
    roomId = input('room-id').value.trim();
  }
  const capabilities = [...document.querySelectorAll<HTMLInputElement>('#caps input:checked')].map((c) => c.value);
  const identity = input('identity').value.trim() || `guest-${Math.random().toString(36).slice(2, 7)}`;
  input('identity').value = identity;
  const minted = await api(`/v1/rooms/${encodeURIComponent(roomId)}/tokens`, { identity, capabilities, type: input('room-type').value });
  $<HTMLTextAreaElement>('token').value = String(minted['token']);
  input('signaling-url').value = String(minted['signaling_url']);
  log(`token for ${identity}: ${capabilities.join(', ')}`);
}

function joinLink(): string {
  const url = new URL('/', location.href);
  url.searchParams.set('room', input('room-id').value.trim());
  url.searchParams.set('token', $<HTMLTextAreaElement>('token').value.trim());
  return url.toString();
}

// ---- LL-HLS: the same room as an audience beyond WebRTC sees it ---------------------------------

async function watchHls(url: string): Promise<void> {
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

function closeHls(): void {
  $('hls-slot').replaceChildren();
  $('hls-view').hidden = true;
}

// ---- The live session --------------------------------------------------------------------------

function tile(id: string, label: string, track: MediaStreamTrack, muted: boolean): void {
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

function removeTile(id: string): void {
  document.getElementById(`tile-${id}`)?.remove();
}

function nameOf(participantId: string): string {
  if (live?.localParticipant.id === participantId) return `${live.localParticipant.identity} (you)`;
  return live?.participants.get(participantId)?.identity ?? participantId;
}

function isModerator(): boolean {
  return live?.localParticipant.capabilities.includes('moderate:participants') ?? false;
}

/** A small button inside a list item that runs `fn` (errors go to the log). */
function itemButton(label: string, title: string, fn: () => Promise<unknown>): HTMLButtonElement {
  const b = document.createElement('button');
  b.className = 'small';
  b.textContent = label;
  b.title = title;
  b.addEventListener('click', () => {
    b.disabled = true;
    fn()
      .catch((err: { code?: string; message?: string }) => log(`${err.code ?? 'error'}: ${err.message ?? String(err)}`))
      .finally(() => (b.disabled = false));
  });
  return b;
}

function textSpan(text: string, className = 'text'): HTMLSpanElement {
  const span = document.createElement('span');
  span.className = className;
  span.textContent = text;
  return span;
}

function renderPeople(): void {
  if (!live) return;
  const session = live;
  const all = [session.localParticipant, ...session.participants.values()];
  const stageControls = isModerator() && STAGED.has(session.roomType);
  $('people').innerHTML = '';
  for (const p of all) {
    const li = document.createElement('li');
    li.append(textSpan(`${p.handRaised ? '✋ ' : ''}${nameOf(p.id)}${stageControls && p.onStage ? ' · on stage' : ''}`));
    if (stageControls && p.id !== session.localParticipant.id) {
      li.append(
        p.onStage
          ? itemButton('remove from stage', 'remove_from_stage (invited participants)', () => session.removeFromStage(p.id))
          : itemButton('invite to stage', 'invite_to_stage', () => session.inviteToStage(p.id)),
      );
    }
    $('people').append(li);
  }
}

function addChat(m: ChatMessage): void {
  const session = live;
  const li = document.createElement('li');
  li.dataset['id'] = m.id;
  const b = document.createElement('b');
  b.textContent = m.identity;
  li.append(b, textSpan(m.text));
  if (session && isModerator()) li.append(itemButton('delete', 'delete_chat: remove for everyone', () => session.deleteChat(m.id)));
  $('chat').append(li);
  li.scrollIntoView({ block: 'nearest' });
}

function removeChat(messageId: string): void {
  for (const li of $('chat').querySelectorAll<HTMLLIElement>('li')) if (li.dataset['id'] === messageId) li.remove();
}

// ---- Q&A and the raised-hand queue --------------------------------------------------------------

function renderQuestions(): void {
  if (!live) return;
  const session = live;
  const moderator = isModerator();
  const list = $('questions');
  list.innerHTML = '';
  for (const q of session.questions) {
    const li = document.createElement('li');
    li.dataset['id'] = q.id;
    li.append(textSpan(`▲ ${q.votes}`, 'votes'), textSpan(`${q.text} — ${q.identity}`));
    li.append(itemButton('upvote', 'upvote_question (once per identity)', () => session.upvoteQuestion(q.id)));
    if (moderator) {
      li.append(
        itemButton('answer', 'answer_question (optionally with a written answer)', async () => {
          const answer = prompt(`Answer "${q.text}" (blank: answered live)`);
          if (answer === null) return;
          await session.answerQuestion(q.id, answer.trim() || undefined);
        }),
        itemButton('dismiss', 'dismiss_question', () => session.dismissQuestion(q.id)),
      );
    }
    list.append(li);
  }
  if (session.questions.length === 0) list.append(Object.assign(document.createElement('li'), { className: 'hint', textContent: 'no open questions' }));
  const answered = $('answered');
  answered.innerHTML = '';
  for (const q of closedQuestions) {
    const li = document.createElement('li');
    li.dataset['id'] = q.id;
    li.append(textSpan(`${q.text} — ${q.identity}`), textSpan(q.state === 'answered' ? `✓ ${q.answer ?? 'answered'}` : 'dismissed', 'answer'));
    answered.append(li);
  }
  $('answered-title').hidden = closedQuestions.length === 0;
}

function onQuestion(q: Question): void {
  if (q.state !== 'open') closedQuestions = [q, ...closedQuestions.filter((c) => c.id !== q.id)].slice(0, 20);
  renderQuestions();
}

function renderHandQueue(): void {
  if (!live) return;
  const session = live;
  const stage = STAGED.has(session.roomType);
  const list = $('hand-queue');
  list.innerHTML = '';
  session.handQueue.forEach((hand, i) => {
    const li = document.createElement('li');
    li.dataset['participant'] = hand.participantId;
    li.append(textSpan(`${i + 1}. ✋ ${hand.identity} · ${new Date(hand.raisedAt).toLocaleTimeString()}`));
    li.append(itemButton('lower', 'lower_hand: dismiss this hand', () => session.lowerHand(hand.participantId)));
    if (stage) li.append(itemButton('invite to stage', 'invite_to_stage', () => session.inviteToStage(hand.participantId)));
    list.append(li);
  });
  $('hand-queue-empty').hidden = session.handQueue.length > 0;
}

function flash(emoji: string): void {
  const el = document.createElement('div');
  el.className = 'flash';
  el.textContent = emoji;
  el.style.left = `${20 + Math.random() * 60}%`;
  el.style.top = '70%';
  document.body.append(el);
  setTimeout(() => el.remove(), 2000);
}

async function join(): Promise<void> {
  const token = $<HTMLTextAreaElement>('token').value.trim();
  const signalingUrl = input('signaling-url').value.trim() || `${location.origin.replace(/^http/, 'ws')}/v1/rtc`;
  status('joining…');
  live = await lc.joinLive({ token, signalingUrl, roomType: input('room-type').value });
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
  for (const m of session.chatHistory) addChat(m);
  renderPeople();
  renderQuestions();
  renderHandQueue();

  session.room.on('participant-joined', (p) => {
    log(`${p.identity} joined`);
    renderPeople();
  });
  session.room.on('participant-left', (p) => {
    log(`${p.identity} left`);
    renderPeople();
  });
  session.room.on('track-subscribed', (t) => {
    remote.set(t.producerId, t);
    if (t.kind === 'video') tile(t.producerId, `${nameOf(t.participantId)} · ${t.source}`, t.track, true);
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
  session.room.on('active-speaker', (id) => {
    for (const el of document.querySelectorAll('.tile')) el.classList.remove('speaking');
    if (!id) return;
    for (const [producerId, t] of remote) if (t.participantId === id) document.getElementById(`tile-${producerId}`)?.classList.add('speaking');
  });
  session.room.on('connection-quality', (id, q) => {
    if (id === session.localParticipant.id) status(`in ${session.roomId} · rtt ${q.rtt ?? '–'} ms · loss ${q.fractionLost ?? '–'}`);
  });
  session.room.on('chat', (m) => addChat(m));
  session.room.on('chat-deleted', ({ messageId }) => removeChat(messageId));
  session.room.on('question', onQuestion);
  session.room.on('hand-queue', () => renderHandQueue());
  session.room.on('reaction', (r) => flash(r.emoji));
  session.room.on('hand', ({ participantId, raised }) => {
    if (participantId === session.localParticipant.id) $('hand').textContent = raised ? 'Lower hand' : 'Raise hand';
    renderPeople();
  });
  session.room.on('error', (e) => log(`error ${e.code}: ${e.message}`));
  session.room.on('reconnecting', () => status('reconnecting…'));
  session.room.on('reconnected', () => status(`in room ${session.roomId}`));
  session.room.on('promoted', ({ hlsUrl }) => {
    log(`the room was promoted to a broadcast${hlsUrl ? `: LL-HLS at ${hlsUrl}` : ''}`);
    $('watch-hls').hidden = !hlsUrl;
    $('promote').hidden = true;
    renderPeople();
  });
  session.room.on('viewer-count', (n) => log(`${n} viewer${n === 1 ? '' : 's'}`));
  session.room.on('stage', ({ participantId, onStage }) => {
    log(`${nameOf(participantId)} ${onStage ? 'is on stage' : 'left the stage'}`);
    renderPeople();
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

// ---- Live stats from the WebRTC senders and receivers -------------------------------------------

interface Row {
  label: string;
  kbps: string;
  rtt: string;
  loss: string;
  fps: string;
}

async function statsRow(key: string, label: string, report: RTCStatsReport, direction: 'in' | 'out'): Promise<Row> {
  let bytes = 0;
  let fps: number | undefined;
  let rtt: number | undefined;
  let lost = 0;
  let packets = 0;
  report.forEach((s: Record<string, unknown> & { type: string }) => {
    if (direction === 'out' && s.type === 'outbound-rtp') {
      bytes += Number(s['bytesSent'] ?? 0);
      if (typeof s['framesPerSecond'] === 'number') fps = Math.max(fps ?? 0, s['framesPerSecond']);
    }
    if (direction === 'out' && s.type === 'remote-inbound-rtp') {
      if (typeof s['roundTripTime'] === 'number') rtt = s['roundTripTime'] * 1000;
      if (typeof s['fractionLost'] === 'number') lost = Math.max(lost, s['fractionLost']);
      packets = 1;
    }
    if (direction === 'in' && s.type === 'inbound-rtp') {
      bytes += Number(s['bytesReceived'] ?? 0);
      if (typeof s['framesPerSecond'] === 'number') fps = s['framesPerSecond'];
      lost += Number(s['packetsLost'] ?? 0);
      packets += Number(s['packetsReceived'] ?? 0) + Number(s['packetsLost'] ?? 0);
    }
    if (s.type === 'candidate-pair' && s['nominated'] && typeof s['currentRoundTripTime'] === 'number') rtt ??= s['currentRoundTripTime'] * 1000;
  });
  const now = performance.now();
  const prev = statsPrev.get(key);
  statsPrev.set(key, { bytes, at: now });
  const kbps = prev && now > prev.at ? (((bytes - prev.bytes) * 8) / (now - prev.at)).toFixed(0) : '…';
  const loss = direction === 'out' ? (packets ? `${(lost * 100).toFixed(1)}%` : '–') : packets ? `${((lost / packets) * 100).toFixed(1)}%` : '–';
  return { label, kbps, rtt: rtt === undefined ? '–' : rtt.toFixed(0), loss, fps: fps === undefined ? '–' : fps.toFixed(0) };
}

async function refreshStats(): Promise<void> {
  if (!live) return;
  const rows: Row[] = [];
  for (const [source, h] of local) rows.push(await statsRow(h.producerId, `↑ ${source}`, await h.getStats(), 'out').catch(() => ({ label: source, kbps: '?', rtt: '?', loss: '?', fps: '?' })));
  for (const [id, t] of remote) {
    rows.push(await statsRow(id, `↓ ${nameOf(t.participantId)} ${t.source}`, await t.getStats(), 'in').catch(() => ({ label: id, kbps: '?', rtt: '?', loss: '?', fps: '?' })));
  }
  const body = $('stats').querySelector('tbody')!;
  body.innerHTML = '';
  for (const r of rows) {
    const tr = document.createElement('tr');
    for (const v of [r.label, r.kbps, r.rtt, r.loss, r.fps]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    body.append(tr);
  }
}

// ---- Wiring ------------------------------------------------------------------------------------

function on(id: string, fn: () => Promise<void>): void {
  $(id).addEventListener('click', (e) => {
    e.preventDefault();
    const button = e.currentTarget as HTMLButtonElement;
    button.disabled = true;
    fn()
      .catch((err: { code?: string; message?: string }) => log(`${err.code ?? 'error'}: ${err.message ?? String(err)}`))
      .finally(() => (button.disabled = false));
  });
}

input('api-key').value = sessionStorage.getItem(KEY_STORAGE) ?? '';
input('api-key').addEventListener('change', () => sessionStorage.setItem(KEY_STORAGE, input('api-key').value.trim()));
input('signaling-url').value = `${location.origin.replace(/^http/, 'ws')}/v1/rtc`;

// join_url links carry the room and token in the fragment (never sent to a server); the query is still read for room-only links.
const params = new URLSearchParams(location.hash.slice(1) || location.search);
if (params.get('room')) input('room-id').value = params.get('room')!;
if (params.get('token')) $<HTMLTextAreaElement>('token').value = params.get('token')!;
// Out of the address bar and the history once read.
if (location.hash) history.replaceState(null, '', location.pathname + location.search);

on('create-room', createRoom);
on('mint', mintToken);
on('copy-link', async () => {
  const link = joinLink();
  await navigator.clipboard.writeText(link).catch(() => {});
  log(`join link: ${link}`);
});
on('join', join);
on('watch-room-hls', async () => {
  const roomId = input('room-id').value.trim();
  if (!roomId) throw new Error('enter a room id first');
  await watchHls(`/hls/${encodeURIComponent(roomId)}/master.m3u8`);
});
on('watch-hls', async () => {
  if (live?.hlsUrl) await watchHls(live.hlsUrl);
});
on('hls-close', async () => closeHls());
on('breakouts-open', async () => {
  await live?.openBreakouts(2);
});
on('breakouts-close', async () => {
  await live?.closeBreakouts();
});
on('promote', async () => {
  await live?.promote();
});
on('camera', () => toggle('camera', 'camera'));
on('mic', () => toggle('microphone', 'mic'));
on('screen', () => toggle('screen', 'screen'));
on('hand', async () => {
  if (!live) return;
  if (live.localParticipant.handRaised) await live.lowerHand();
  else await live.raiseHand();
  $('hand').textContent = live.localParticipant.handRaised ? 'Lower hand' : 'Raise hand';
  renderPeople();
});
for (const b of document.querySelectorAll<HTMLButtonElement>('.reactions button')) {
  b.addEventListener('click', () => void live?.sendReaction(b.dataset['emoji']!).catch(() => {}));
}
on('end', async () => {
  if (live && confirm('End the room for everyone?')) await lc.rooms.end(live.roomId);
});
on('leave', async () => {
  await live?.leave();
  status('left');
  reset();
});
$('chat-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = input('chat-text').value.trim();
  if (!text || !live) return;
  input('chat-text').value = '';
  live.sendChat(text).catch(() => {});
});
$('qa-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = input('qa-text').value.trim();
  if (!text || !live) return;
  input('qa-text').value = '';
  live.askQuestion(text).catch(() => {});
});
setInterval(() => void refreshStats(), 1000);
