// The notifier's front door.
export { loadRouting, type Routing } from './config.js';
export { runNotifier } from './main.js';
export { verifyWebhookSignature } from './receivers/webhook.js';
