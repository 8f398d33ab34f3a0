/** The CLI's checkpoint reader lives in src/node/ (Node-side, shared with the extension's routing preview). */
export * from '../node/checkpoint';
