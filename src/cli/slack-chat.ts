import { SlackApi } from '../../collectors/slack/client.js';
import type { Logger } from '../common/logger.js';
import type { SlackChat } from '../contract/chat.js';
import type { SlackNotifyConfig } from '../slack/notify.js';

/** Needs chat:write; the source name only prefixes error messages ("slack-notify: chat.postMessage: …"). */
export function createSlackChat(slack: SlackNotifyConfig, log: Logger, signal?: AbortSignal): SlackChat {
  return new SlackApi({
    source: 'slack-notify',
    token: slack.token,
    apiUrl: slack.apiUrl,
    signal: signal ?? new AbortController().signal,
    log,
  });
}
