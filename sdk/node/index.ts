// @levelchat/node: the REST API client, webhook verification and their types.
export { LevelChatClient, type LevelChatClientOptions } from './client.js';
export { LevelChatApiError } from './errors.js';
export { verifyWebhook, WebhookVerificationError, type WebhookHeaders } from './webhooks.js';
export type * from './types.js';
