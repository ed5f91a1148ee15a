/** The evidence-based decision rule: settings, inputs, the rule and its report line. */
export { decisionSchema, defaultDecisionSettings, type DecisionSettings, type DecisionSettingsInput } from "./settings";
export { DecisionInputError, validateDecisionInput, type DecisionInput, type DecisionTime, type LatencyFigures, type VersionFigures } from "./figures";
export { decide, type Action, type Decision, type Method, type Outcome, type SignalCheck, type SignalName, type Tally } from "./rule";
export { formatDecision, decisionRecord, type DecisionRecord } from "./format";
export { requestsToShowHealth } from "./planning";
