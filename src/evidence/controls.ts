/**
 * The control mapping: which controls ask for restore tests, and what a run must really have done to
 * evidence each of their points. Data only; src/evidence/facts.ts establishes the facts from a run,
 * src/evidence/mapping.ts applies this table. The `asks` texts are kdrill's summaries, not quotations:
 * the `ref` names the text an auditor reads.
 */

/** What a run can be shown to have done; each is established from result.json and the scenario as run. */
export type FactId =
  | 'recovery-tested'
  | 'recovery-verified'
  | 'backup-restored'
  | 'objectives-measured'
  | 'objectives-met'
  | 'integrity-checked'
  | 'completeness-checked'
  | 'segregated-restore'
  | 'switchover'
  | 'random-recovery-point'
  | 'corrective-actions';

/** What each fact needs, in the words a "not evidenced" line uses. */
export const FACTS: Record<FactId, string> = {
  'recovery-tested': 'a disaster injected (or a restore test run) and the recovery carried through to verification',
  'recovery-verified': 'every verify check passed',
  'backup-restored':
    'a backup restored: every Velero Restore Completed with readable results, or a runbook done in full',
  'objectives-measured': 'RTO and RPO measured against their objectives',
  'objectives-met': 'RTO and RPO within their objectives',
  'integrity-checked': 'a sentinel or inventory check passed',
  'completeness-checked': 'the inventory check passed and the backup held every live object of the targets',
  'segregated-restore': 'the restore went into sandbox namespaces or another cluster, not over the source',
  switchover: 'the recovery went into another cluster (switchover to redundant capacity)',
  'random-recovery-point': 'the recovery point (backup) was picked at random',
  'corrective-actions': 'a retrospective whose action items each have an owner and a due date',
};

export interface ControlPoint {
  id: string;
  text: string;
  requires: FactId[];
}

export interface Control {
  id: string;
  framework: string;
  /** The text reference an auditor looks up. */
  ref: string;
  title: string;
  /** What the control asks, in short. */
  asks: string;
  points: ControlPoint[];
  /** What only a period of runs can show (`kdrill evidence report`), not one run. */
  overTime?: string;
}

export const CONTROLS: readonly Control[] = [
  {
    id: 'DORA-11.6',
    framework: 'DORA',
    ref: 'Regulation (EU) 2022/2554 (DORA), Article 11(6)',
    title: 'Testing of the ICT business continuity and response and recovery plans',
    asks: 'test the ICT business continuity and response and recovery plans at least yearly, switchover to redundant capacity included',
    points: [
      { id: 'plan-tested', text: 'the recovery plan was tested', requires: ['recovery-tested', 'recovery-verified'] },
      { id: 'switchover', text: 'switchover to redundant capacity', requires: ['switchover', 'recovery-verified'] },
    ],
    overTime: 'at least yearly: a scenario with requiredEvery of 365d or less, and no gap in the period report',
  },
  {
    id: 'DORA-12.2',
    framework: 'DORA',
    ref: 'Regulation (EU) 2022/2554 (DORA), Article 12(2)',
    title: 'Backup systems, restoration and recovery procedures, and their periodic testing',
    asks: 'test the backup procedures and the restoration and recovery procedures and methods periodically',
    points: [
      {
        id: 'restore-tested',
        text: 'the backup and restoration procedures were tested',
        requires: ['backup-restored', 'recovery-verified'],
      },
    ],
    overTime: 'periodically: requiredEvery on the scenario, and no gap in the period report',
  },
  {
    id: 'DORA-12.3',
    framework: 'DORA',
    ref: 'Regulation (EU) 2022/2554 (DORA), Article 12(3)',
    title: 'Restoring onto ICT systems segregated from the source',
    asks: 'restore backup data onto ICT systems physically and logically segregated from the source ICT system',
    points: [
      {
        id: 'segregated',
        text: 'the backup was restored onto segregated systems',
        requires: ['segregated-restore', 'backup-restored', 'recovery-verified'],
      },
    ],
  },
  {
    id: 'ISO27001-A.8.13',
    framework: 'ISO/IEC 27001:2022',
    ref: 'ISO/IEC 27001:2022, Annex A, control 8.13 (Information backup)',
    title: 'Information backup',
    asks: 'keep backup copies of information, software and systems, and test them regularly',
    points: [
      {
        id: 'backup-tested',
        text: 'a backup copy was tested by restoring it',
        requires: ['backup-restored', 'recovery-verified'],
      },
    ],
    overTime: 'regularly: requiredEvery on the scenario, and no gap in the period report',
  },
  {
    id: 'ISO27001-A.5.30',
    framework: 'ISO/IEC 27001:2022',
    ref: 'ISO/IEC 27001:2022, Annex A, control 5.30 (ICT readiness for business continuity)',
    title: 'ICT readiness for business continuity',
    asks: 'plan, implement, maintain and test ICT readiness against the business continuity objectives',
    points: [
      {
        id: 'tested-against-objectives',
        text: 'ICT readiness was tested against the continuity objectives',
        requires: ['recovery-tested', 'objectives-measured'],
      },
      { id: 'objectives-met', text: 'the continuity objectives (RTO, RPO) were met', requires: ['objectives-met'] },
    ],
  },
  {
    id: 'SOC2-A1.3',
    framework: 'SOC 2',
    ref: 'AICPA Trust Services Criteria (2017, points of focus revised 2022), A1.3',
    title: 'Recovery plan testing',
    asks: 'test recovery plan procedures supporting system recovery to meet the objectives, integrity and completeness of backup data included',
    points: [
      {
        id: 'plan-tested',
        text: 'the recovery plan procedures were tested',
        requires: ['recovery-tested', 'recovery-verified'],
      },
      { id: 'integrity', text: 'the integrity of the backup data was tested', requires: ['integrity-checked'] },
      {
        id: 'completeness',
        text: 'the completeness of the backup data was tested',
        requires: ['completeness-checked'],
      },
    ],
  },
  {
    id: 'NIST-CP-4',
    framework: 'NIST SP 800-53',
    ref: 'NIST SP 800-53 Rev. 5, CP-4 (Contingency Plan Testing)',
    title: 'Contingency plan testing',
    asks: 'test the contingency plan to determine its effectiveness and readiness, review the results, and initiate corrective actions',
    points: [
      { id: 'plan-tested', text: 'the contingency plan was tested', requires: ['recovery-tested'] },
      {
        id: 'corrective-actions',
        text: 'the results were written up with corrective actions',
        requires: ['corrective-actions'],
      },
    ],
  },
  {
    id: 'NIST-CP-9.1',
    framework: 'NIST SP 800-53',
    ref: 'NIST SP 800-53 Rev. 5, CP-9(1) (System Backup: Testing for Reliability and Integrity)',
    title: 'Backup testing for reliability and integrity',
    asks: 'test backup information to verify media reliability and information integrity',
    points: [
      { id: 'reliability', text: 'the backup could be restored (media reliability)', requires: ['backup-restored'] },
      { id: 'integrity', text: 'the restored information is intact', requires: ['integrity-checked'] },
    ],
    overTime: 'at the organisation-defined frequency: requiredEvery on the scenario',
  },
  {
    id: 'NIST-CP-9.2',
    framework: 'NIST SP 800-53',
    ref: 'NIST SP 800-53 Rev. 5, CP-9(2) (System Backup: Test Restoration Using Sampling)',
    title: 'Test restoration using sampling',
    asks: 'restore a sample of backup information as part of contingency plan testing',
    points: [
      {
        id: 'sampled',
        text: 'a randomly picked recovery point was restored and verified',
        requires: ['random-recovery-point', 'backup-restored', 'recovery-verified'],
      },
    ],
  },
];

/** How far a run evidences a control: every point, some, or none. */
export type ControlStatus = 'evidenced' | 'partial' | 'not-evidenced';

export interface ControlEvidence {
  id: string;
  framework: string;
  ref: string;
  title: string;
  status: ControlStatus;
  points: {
    id: string;
    text: string;
    evidenced: boolean;
    /** What in the run evidences it, fact by fact; or, when not evidenced, what it would need. */
    by: string[];
    missing: string[];
  }[];
  overTime?: string;
}
