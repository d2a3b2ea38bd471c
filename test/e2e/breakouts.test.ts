// Classroom breakouts in Chromium: a moderator and two students (camera + microphone each) in a
// classroom; the moderator opens two breakouts — student 1 and the moderator in breakout 1, student 2
// alone in breakout 2. The SDK moves each of them (joins the breakout with the token of the
// `breakout` event, pauses the main room's media, publishes camera + microphone there): student 1
// receives the moderator and nothing of student 2, student 2 receives nothing. Closing the
// breakouts brings everyone back: the students see each other in the main room again.
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { arg, callOrThrow, h, joinOrThrow, mintToken, openHarness, waitEvents, webrtcFramesGrow } from '../../bench/lib/browser-kit.js';
import { waitFor } from '../../bench/lib/wait.js';
import { useBrowserStack } from './browser-stack.js';

const { t, browser } = useBrowserStack({ env: { LEVELCHAT_WORKERS: '2' } });

const STUDENT = ['publish:camera', 'subscribe:all', 'chat:send', 'hand:raise'];
const MODERATOR = ['moderate:participants', 'publish:camera', 'subscribe:all', 'chat:send'];

async function join(page: Page, roomId: string, identity: string, caps: string[]) {
  const minted = await mintToken(t.url, t.apiKey, roomId, identity, caps, 'classroom');
  return joinOrThrow(page, { token: minted.token, signalingUrl: minted.signaling_url, roomType: 'classroom' }, identity);
}

async function publish(page: Page): Promise<void> {
  for (const method of ['publishCamera', 'publishMicrophone']) {
    await callOrThrow(page, method);
  }
}

describe('classroom breakouts in Chromium', () => {
  it('students move into their breakout (media only from there) and come back when it closes', async () => {
    const id = `r_e2e-class-${randomBytes(4).toString('hex')}`;
    const t0 = Date.now();
    const mark = (what: string) => console.log(`[breakouts] ${what} at +${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const [pm, p1, p2] = await Promise.all([openHarness(browser, t.url, 'mod'), openHarness(browser, t.url, 's1'), openHarness(browser, t.url, 's2')]);
    const mod = await join(pm, id, 'teacher', MODERATOR);
    const s1 = await join(p1, id, 'student-1', STUDENT);
    const s2 = await join(p2, id, 'student-2', STUDENT);
    await Promise.all([publish(pm), publish(p1), publish(p2)]);
    await webrtcFramesGrow(p1, s2.participantId);
    await webrtcFramesGrow(p2, s1.participantId);
    mark('main room: everyone publishes, the students see each other');

    // Breakout 1: student 1 and the teacher; breakout 2: student 2.
    const opened = await h(pm, 'call', 'openBreakouts', 2, { [s1.participantId]: 1, [mod.participantId]: 1, [s2.participantId]: 2 });
    expect(opened.ok, JSON.stringify(opened)).toBe(true);
    const b1 = `${id}.b1`;
    const b2 = `${id}.b2`;
    for (const [page, room] of [[pm, b1], [p1, b1], [p2, b2]] as const) {
      const [joined] = await waitEvents(page, 'breakout-joined', () => true, 1, 15_000);
      expect(arg<{ roomId: string }>(joined!).roomId).toBe(room);
    }
    const layout = await waitEvents(p2, 'breakouts', (e) => arg<{ open: boolean }>(e).open);
    expect(arg<{ rooms: { roomId: string; identities: string[] }[] }>(layout[0]!).rooms.map((r) => [r.roomId, r.identities.sort()])).toEqual([
      [b1, ['student-1', 'teacher']],
      [b2, ['student-2']],
    ]);
    mark('all three moved (breakout-joined)');

    // Each published camera + microphone in its breakout, and nothing in the main room any more.
    for (const page of [pm, p1, p2]) {
      await waitFor(async () => (await h(page, 'breakout'))?.published.join() === 'camera,microphone', { what: 'camera + microphone in the breakout' });
      expect(await h(page, 'published')).toEqual([]);
    }
    const main = t.stack.liveRooms.rooms.get(id)!;
    await waitFor(async () => main.tracks.size === 0, { what: 'main room without tracks' });
    expect(main.participants.size).toBe(3); // their main sessions stay joined

    // Student 1 receives the teacher's camera and microphone, and frames from it; nothing of student 2.
    const view1 = await waitFor(async () => {
      const v = await h(p1, 'breakout');
      return v && v.tracks.length >= 2 && (v.frames['teacher'] ?? 0) > 10 ? v : undefined;
    }, { timeoutMs: 15_000, what: 'student 1 receives the teacher' }).catch(async (err) => {
      console.log('[breakouts] diagnostics: student-1', JSON.stringify(await h(p1, 'breakout')), JSON.stringify((await h(p1, 'events')).filter((e) => e.event.startsWith('breakout') || e.event === 'error')));
      console.log('[breakouts] diagnostics: teacher', JSON.stringify(await h(pm, 'breakout')), JSON.stringify((await h(pm, 'events')).filter((e) => e.event.startsWith('breakout') || e.event === 'error')));
      throw err;
    });
    expect(view1.roomId).toBe(b1);
    expect(view1.participants).toEqual(['teacher']);
    expect(view1.tracks.map((x) => `${x.identity}/${x.kind}`).sort()).toEqual(['teacher/audio', 'teacher/video']);
    const teacherView = await waitFor(async () => {
      const v = await h(pm, 'breakout');
      return v && (v.frames['student-1'] ?? 0) > 10 ? v : undefined;
    }, { timeoutMs: 15_000, what: 'the teacher receives student 1' });
    expect(teacherView.tracks.every((x) => x.identity === 'student-1')).toBe(true);
    // Student 2 is alone in breakout 2: no remote track at all.
    const view2 = (await h(p2, 'breakout'))!;
    expect(view2.roomId).toBe(b2);
    expect(view2.participants).toEqual([]);
    expect(view2.tracks).toEqual([]);
    // No main-room media reaches anyone meanwhile: every main-room track was unpublished.
    for (const page of [p1, p2]) expect(await h(page, 'mainTracks')).toEqual([]);
    // The server agrees: breakout 1 has the teacher's and student 1's tracks, breakout 2 only student 2's.
    const room1 = t.stack.liveRooms.rooms.get(b1)!;
    const room2 = t.stack.liveRooms.rooms.get(b2)!;
    expect(new Set([...room1.tracks.values()].map((x) => x.participant.identity))).toEqual(new Set(['teacher', 'student-1']));
    expect(new Set([...room2.tracks.values()].map((x) => x.participant.identity))).toEqual(new Set(['student-2']));
    mark('breakout media checked');

    // Close: everyone returns, publishes again in the main room, and the students see each other.
    const closed = await h(pm, 'call', 'closeBreakouts');
    expect(closed.ok, JSON.stringify(closed)).toBe(true);
    for (const page of [pm, p1, p2]) await waitEvents(page, 'breakout-left', () => true, 1, 15_000);
    mark('all three back (breakout-left)');
    for (const page of [pm, p1, p2]) {
      await waitFor(async () => (await h(page, 'published')).join() === 'camera,microphone', { what: 'camera + microphone back in the main room' });
      expect(await h(page, 'breakout')).toBeNull();
    }
    await webrtcFramesGrow(p1, s2.participantId, 15, 15_000);
    await webrtcFramesGrow(p2, s1.participantId, 15, 15_000);
    await webrtcFramesGrow(p1, mod.participantId, 15, 15_000);
    const back1 = await h(p1, 'mainTracks');
    expect(back1.filter((x) => !x.ended).map((x) => `${x.identity}/${x.kind}`).sort()).toEqual(['student-2/audio', 'student-2/video', 'teacher/audio', 'teacher/video']);
    await waitFor(async () => !t.stack.liveRooms.rooms.has(b1) && !t.stack.liveRooms.rooms.has(b2), { what: 'breakout rooms closed' });
    for (const page of [pm, p1, p2]) expect(await h(page, 'events', 'disconnected')).toEqual([]);
    mark('students see each other again in the main room');

    for (const page of [p1, p2, pm]) await h(page, 'leave');
    for (const page of [pm, p1, p2]) await page.context().close();
  }, 85_000);
});
