// @levelchat/web: the browser SDK. `new LevelChat()`, `lc.joinLive({ token, signalingUrl, roomType })`,
// then `live.room.on(...)` for the room's events; see players/web/README.md.
export { LevelChat, Rooms } from './level-chat.js';
export { LiveSession, type JoinLiveOptions, type LiveMode, type RoomEventMap, type RoomEvents } from './live-session.js';
// The LL-HLS player is its own bundle (/sdk/levelchat-player.js, loaded on demand by the fallback).
export type { Player, PlayerOptions, PlayerState } from '../player/index.js';
export { LevelChatError, type LevelChatErrorCode } from './errors.js';
export type { LocalTrackHandle } from './publisher.js';
export type { CameraOptions, MicrophoneOptions, ScreenOptions } from './capture.js';
export type {
  BreakoutLeftReason,
  BreakoutRoom,
  ChatMessage,
  ConnectionQuality,
  DisconnectReason,
  LocalParticipant,
  Participant,
  Question,
  RaisedHand,
  SubscribedTrack,
  UnsubscribedTrack,
} from './room-data.js';
