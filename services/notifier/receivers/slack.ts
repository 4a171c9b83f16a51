// Slack incoming webhook: {text, blocks}. The webhook URL is the credential (secrets.url).
import type { Page } from '../page.js';
import { jsonReceiver } from './http.js';
import type { Receiver, ReceiverOptions } from './types.js';

const ICON: Record<Page['action'], string> = {
  trigger: ':rotating_light:',
  acknowledge: ':eyes:',
  resolve: ':white_check_mark:',
};

export function slackBody(page: Page, channel?: string): Record<string, unknown> {
  const what =
    page.action === 'trigger'
      ? page.n === 0
        ? 'FIRING'
        : `STILL FIRING (repeat ${page.n})`
      : page.action === 'acknowledge'
        ? 'ACKNOWLEDGED'
        : 'RESOLVED';
  const head = `${ICON[page.action]} [${what}] [${page.severity}] ${page.title}`;
  const facts = [
    `*rule* ${page.rule}`,
    `*tenant* ${page.tenant}`,
    `*entity* ${page.entityType}${page.entityIp ? ` ${page.entityIp}` : ''}`,
    `*alerts* ${page.alertCount}`,
    page.incidentId ? `*incident* ${page.incidentId}` : `*key* ${page.dedupKey}`,
  ].join('  ·  ');
  return {
    ...(channel ? { channel } : {}),
    text: head,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${head}*\n${page.summary}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: facts }] },
      { type: 'section', text: { type: 'mrkdwn', text: `<${page.link}|Open the alert>` } },
    ],
  };
}

export function slackReceiver(
  r: { name: string; url: string; channel?: string },
  o: ReceiverOptions,
): Receiver {
  return jsonReceiver({ name: r.name, type: 'slack', url: r.url }, o, (page) => ({
    body: JSON.stringify(slackBody(page, r.channel)),
  }));
}
