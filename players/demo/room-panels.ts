// The room's side panels: people (with stage controls), chat, Q&A, the raised-hand queue. Each
// render reads the session as it is now.
import { isBroadcastType } from '../../src/rooms/broadcast-types.js';
import type { ChatMessage, LiveSession, Question } from '../web/index.js';
import { $, itemButton, textSpan } from './dom.js';

/** A stage and an audience: broadcast types, and hybrids (a broadcast once promoted). */
function hasStage(roomType: string): boolean {
  return isBroadcastType(roomType) || roomType === 'hybrid';
}

export function isModerator(session: LiveSession): boolean {
  return session.localParticipant.capabilities.includes('moderate:participants');
}

export function nameOf(session: LiveSession, participantId: string): string {
  if (session.localParticipant.id === participantId) return `${session.localParticipant.identity} (you)`;
  return session.participants.get(participantId)?.identity ?? participantId;
}

export function renderPeople(session: LiveSession): void {
  const all = [session.localParticipant, ...session.participants.values()];
  const stageControls = isModerator(session) && hasStage(session.roomType);
  $('people').innerHTML = '';
  for (const p of all) {
    const li = document.createElement('li');
    li.append(textSpan(`${p.handRaised ? '✋ ' : ''}${nameOf(session, p.id)}${stageControls && p.onStage ? ' · on stage' : ''}`));
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

export function addChat(session: LiveSession, m: ChatMessage): void {
  const li = document.createElement('li');
  li.dataset['id'] = m.id;
  const b = document.createElement('b');
  b.textContent = m.identity;
  li.append(b, textSpan(m.text));
  if (isModerator(session)) li.append(itemButton('delete', 'delete_chat: remove for everyone', () => session.deleteChat(m.id)));
  $('chat').append(li);
  li.scrollIntoView({ block: 'nearest' });
}

export function removeChat(messageId: string): void {
  for (const li of $('chat').querySelectorAll<HTMLLIElement>('li')) if (li.dataset['id'] === messageId) li.remove();
}

/** Open questions with their actions, then `closed` ones (answered or dismissed while here, newest first). */
export function renderQuestions(session: LiveSession, closed: readonly Question[]): void {
  const moderator = isModerator(session);
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
  for (const q of closed) {
    const li = document.createElement('li');
    li.dataset['id'] = q.id;
    li.append(textSpan(`${q.text} — ${q.identity}`), textSpan(q.state === 'answered' ? `✓ ${q.answer ?? 'answered'}` : 'dismissed', 'answer'));
    answered.append(li);
  }
  $('answered-title').hidden = closed.length === 0;
}

export function renderHandQueue(session: LiveSession): void {
  const stage = hasStage(session.roomType);
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
