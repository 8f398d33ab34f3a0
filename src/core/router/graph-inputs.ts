/**
 * The router graph's input names (onnx-graph.ts builds the graph, onnx-session.ts feeds it): a module of their own so
 * that running a graph built elsewhere (the panel's ORT worker) does not load the graph builder and its protobuf code.
 */
export const GRAPH_INPUTS = { hidden: 'hidden_states', weight: 'gate_weight', bias: 'gate_bias', selection: 'selection_bias', tokenScale: 'token_scale', expertScale: 'expert_scale' } as const;
