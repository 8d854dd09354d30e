/**
 * What a file reader (YAML or CSV) hands to the importer: raw entries not yet validated, each able
 * to say on which line a field of it was written, and problems found while reading.
 */

/** A problem in an organisation file, with its 1-based line when known. */
export interface FileIssue {
  line?: number;
  /** Where in the file: `organisations[3].cidrs[1]`, `row 4 column cidrs`, `(yaml)`, `(file)`. */
  path: string;
  message: string;
}

export interface RawEntry {
  /** The entry as plain data (object with the schema's field names), not yet validated. */
  value: unknown;
  /** Line the entry starts on. */
  line: number;
  /** Short label of the entry for messages: `organisations[3]`, `row 4`. */
  label: string;
  /** Line of a field of the entry (path relative to the entry); the entry's line when unknown. */
  lineOf(path: ReadonlyArray<string | number>): number;
  /** How a field path is shown in messages. */
  fieldName(path: ReadonlyArray<string | number>): string;
}

export interface RawFile {
  entries: RawEntry[];
  issues: FileIssue[];
}
