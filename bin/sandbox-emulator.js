#!/usr/bin/env node
// Loads the TypeScript CLI through tsx's loader in this same process, so the package runs
// without a build step and signals (Ctrl-C, SIGTERM) reach the emulator directly.
import { register } from 'tsx/esm/api';

register();
await import('../emulator/cli.ts');
