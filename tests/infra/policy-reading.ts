/** Reads IAM policy documents captured from mocked resources, for assertions. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action?: string | string[];
  readonly Resource?: string | string[];
  readonly Principal?: unknown;
  readonly Condition?: unknown;
}

export interface PolicyDocument {
  readonly Version: string;
  readonly Statement: Statement[];
}

/** Parses a policy input (JSON string or object) into a document. */
export function parsePolicy(input: unknown): PolicyDocument {
  const doc = (typeof input === "string" ? JSON.parse(input) : input) as PolicyDocument;
  if (!Array.isArray(doc?.Statement)) throw new Error(`not a policy document: ${JSON.stringify(input)}`);
  return doc;
}

export const allowStatements = (doc: PolicyDocument): Statement[] => doc.Statement.filter((s) => s.Effect === "Allow");
