// Receiver factory: one per configured receiver.
import { PAGERDUTY_EVENTS_URL, parseDuration, type ReceiverConfig } from '../config.js';
import { alertmanagerReceiver } from './alertmanager.js';
import { pagerDutyReceiver } from './pagerduty.js';
import { slackReceiver } from './slack.js';
import type { Receiver, ReceiverOptions } from './types.js';
import { webhookReceiver } from './webhook.js';

export type { NotifyResult, Receiver } from './types.js';

export function createReceiver(c: ReceiverConfig, o: ReceiverOptions): Receiver {
  switch (c.type) {
    case 'alertmanager':
      return alertmanagerReceiver(
        {
          name: c.name,
          url: c.url as string,
          ...(c.settings['hold'] ? { holdMs: parseDuration(c.settings['hold']) } : {}),
        },
        o,
      );
    case 'pagerduty':
      return pagerDutyReceiver(
        {
          name: c.name,
          url: c.url ?? PAGERDUTY_EVENTS_URL,
          routingKey: c.secrets['routing_key'] as string,
          ...(c.settings['source'] ? { source: c.settings['source'] } : {}),
        },
        o,
      );
    case 'webhook':
      return webhookReceiver(
        { name: c.name, url: c.url as string, secret: c.secrets['secret'] as string },
        o,
      );
    case 'slack':
      return slackReceiver(
        {
          name: c.name,
          url: (c.secrets['url'] ?? c.url) as string,
          ...(c.settings['channel'] ? { channel: c.settings['channel'] } : {}),
        },
        o,
      );
  }
}
