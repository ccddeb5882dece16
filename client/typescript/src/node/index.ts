export { BaseNode, NodeValidationError } from './BaseNode.js';
