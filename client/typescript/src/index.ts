export * from './types.js';
export * from './models.js';
export * from './stateManager.js';
export * from './node/index.js';
export * from './runtime.js';
export * from './signals.js';
export * from './logger.js';
export * from './utils.js';
