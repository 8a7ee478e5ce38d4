/** The guide's alerting levels: P1 wakes someone at 2 AM, P2 waits for a business day, P3 is reviewed regularly. */
export type Priority = 'P1' | 'P2' | 'P3';

/** An alert as a source reports it: firing (or silenced), with the time it started firing. */
export interface SeenAlert {
  labels: Record<string, string>;
  /** When it started firing, by the source's clock (Alertmanager's startsAt; Prometheus: activeAt + for). */
  firedAt: string;
  /** Silenced or inhibited in Alertmanager: it fired, but it pages no one. */
  suppressed?: boolean;
}

/** "Who watches the watchers": whether the always-firing heartbeat alert fired before the disaster. */
export interface HeartbeatRecord {
  alert: string;
  ok: boolean;
  checkedAt: string;
  detail: string;
  /** Since when it fires, as the source says. */
  since?: string;
}

/** One expected alert: whether, when and how the disaster made it fire. */
export interface AlertRecord {
  alert: string;
  /** The label matchers it had to satisfy, in Alertmanager's syntax. */
  matchers: string[];
  expectedPriority: Priority;
  fired: boolean;
  /** When it started firing (the source's time). */
  firedAt?: string;
  /** When kdrill first saw it firing. */
  seenAt?: string;
  /** Time to detect: firedAt − the disaster's start. */
  ttdSeconds?: number;
  /** Its labels as they fired. */
  labels?: Record<string, string>;
  /** The priority its label gave it; null when the label is missing or means nothing to kdrill. */
  priority?: Priority | null;
  /** The raw value of the priority label. */
  priorityLabel?: string;
  suppressed?: boolean;
  /** With notify: when Alertmanager's notification of it reached kdrill's receiver. */
  notifiedAt?: string;
  /** Time to page: notifiedAt − the disaster's start. */
  ttpSeconds?: number;
  objectiveSeconds?: number;
  /** Fired, within its objective (when it has one). */
  met: boolean;
  /** Matching alerts already firing before the disaster: they say nothing about it, so they are not counted. */
  firingBefore?: number;
  detail: string;
}

/** What the detect phase found: the heartbeat, and each expected alert. */
export interface DetectionResult {
  /** Where the alerts were read, e.g. "Alertmanager http://127.0.0.1:9093". */
  source: string;
  startedAt: string;
  endedAt: string;
  disasterAt?: string;
  heartbeat?: HeartbeatRecord;
  objectiveSeconds?: number;
  timeoutSeconds: number;
  /** The label that carries an alert's priority (severity by default). */
  priorityLabel: string;
  /** Time to detect of the first expected alert to fire: the earliest the team could have known. */
  ttdSeconds: number | null;
  /** The first notification that reached the receiver (with notify). */
  ttpSeconds?: number | null;
  /** Every expected alert fired within its objective. */
  met: boolean;
  notify: boolean;
  receiver?: string;
  /** Webhook notifications the receiver took during the drill (every alert, the heartbeat included). */
  notifications?: number;
  /** The recovery waited for detection (holdRecovery): for how long after the disaster. */
  heldRecoverySeconds?: number;
  /** Polls of the source that failed during the drill, and the last error. */
  sourceErrors?: { count: number; polls: number; last: string };
  alerts: AlertRecord[];
}

/** How one endpoint fared from the disaster's start to the end of verification. */
export interface AvailabilityRecord {
  /** A URL, or service/<namespace>/<name>:<port><path> through the API server proxy. */
  target: string;
  /** Sampled because an http verify check names it, or because `availability:` lists it. */
  from: 'verify' | 'availability';
  intervalSeconds: number;
  timeoutSeconds: number;
  windowStart: string;
  windowEnd: string;
  samples: number;
  failures: number;
  downtimeSeconds: number;
  firstFailureAt?: string;
  /** The first good answer after the last outage; absent when it had not recovered when verification ended. */
  recoveredAt?: string;
  longestOutageSeconds: number;
  /** null when no sample fell in the window. */
  availabilityPercent: number | null;
  outages: { from: string; to?: string; seconds: number; lastError: string }[];
  /** Of the window, the time kdrill was not running and could not sample (killed, then resumed). */
  unsampledSeconds?: number;
}
