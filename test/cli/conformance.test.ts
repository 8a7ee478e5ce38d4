import { describe } from 'vitest';
import { conformanceSuite } from '../contract/kube/conformance.suite.js';

// The same suite runs on the real kube-apiserver from test/contract/kube/kube-api.contract.test.ts.
describe('conformance on real apps: the embedded lab', () =>
  conformanceSuite(() => ({ name: 'the embedded lab', labArgs: [], unserved: {} })));
