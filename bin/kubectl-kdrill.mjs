#!/usr/bin/env node
// The kubectl plugin: installed on PATH as kubectl-kdrill (package.json "bin"), `kubectl kdrill run …`
// runs it with the arguments after "kdrill".
import { start } from './start.mjs';

await start('kubectl kdrill');
