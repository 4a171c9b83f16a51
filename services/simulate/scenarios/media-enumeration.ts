// media-enumeration: predictable recording names walked (`session-0001.mp4`, `-0002`…,
// `/recordings/2025/visit-000123.mp4`…), 200 with large bodies.
import { toolUa } from '../agents.js';
import { errorBytes, recordingBytes, telehealth } from '../platforms.js';
import { gets, routeEntity } from './common.js';
import { HOUR, MIN, pace, type ScenarioClass } from './types.js';

export const mediaEnumeration: ScenarioClass = {
  id: 'media-enumeration',
  variants: [
    {
      intensity: 'fast',
      platform: 'wordpress',
      durationMs: 6 * MIN,
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const ua = rng.pick(['Wget/1.21.4', 'curl/8.5.0', 'python-requests/2.31.0']);
        const n = rng.int(40, 80);
        const times = pace(rng, t0, n, 2000, 8000, durationMs);
        const attack = gets(
          times,
          { ip, ua },
          (i) => telehealth.wpRecording(i + 1),
          (status) => (status === 200 ? recordingBytes(rng) : errorBytes(rng, 404)),
          () => (rng.chance(0.08) ? 404 : 200),
        );
        return {
          entities: [{ type: 'client_ip', raw: ip }, routeEntity(telehealth.wpRecording(1))],
          attack,
          description: `Consultation recordings session-0001.mp4..session-${String(n).padStart(4, '0')}.mp4 downloaded in order from ${ip}`,
        };
      },
    },
    {
      intensity: 'slow',
      platform: 'telehealth',
      durationMs: 3 * HOUR,
      build({ rng, ips, t0, durationMs }) {
        const ip = ips.take();
        const session = rng.phpSessionId();
        const ua = toolUa(rng);
        const n = rng.int(40, 70);
        const first = rng.int(100, 900);
        const times = pace(rng, t0, n, 60_000, 180_000, durationMs);
        const attack = gets(
          times,
          { ip, ua, session },
          (i) => telehealth.recording(2025, first + i),
          () => recordingBytes(rng),
        );
        return {
          entities: [{ type: 'session', raw: session }, routeEntity(telehealth.recording(2025, 1))],
          attack,
          description: `Low-and-slow download of ${n} visit recordings by name (visit-${String(first).padStart(6, '0')}.mp4 on), one every 1-3 min`,
        };
      },
    },
  ],
};
